"""A small world for the security visibility matrices: every kind of user beside every kind of
incident (ordinary, confidential, security), built through the services."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser

from incidents import roles, security
from incidents.models import Channel, Incident, Team

from .factories import CategoryFactory, TeamFactory, UserFactory, make_incident

# The people of the matrices. "resolver" is in the Network team, which works the confidential
# incident; for a security incident they are a resolver outside its team.
USERS = (
    "reporter", "other_reporter", "desk_agent", "resolver", "outside_resolver", "security_member",
    "security_member_without_role", "participant", "staff_participant", "incident_manager", "auditor", "superuser",
)


@dataclass
class World:
    users: dict[str, AbstractBaseUser] = field(default_factory=dict)
    incidents: dict[str, Incident] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)

    def fresh(self, name: str) -> AbstractBaseUser:
        """The user again, without the role and team caches of earlier questions."""
        return type(self.users[name]).objects.get(pk=self.users[name].pk)


def make_world() -> World:
    world = World()
    network = TeamFactory(name="Network", slug="network")
    platform = TeamFactory(name="Platform", slug="platform", tier=3)
    desk = TeamFactory(name="Service Desk", slug="service-desk", tier=1)
    secops = TeamFactory(name="Security Operations", slug="secops", security=True)
    world.teams = {"network": network, "platform": platform, "desk": desk, "secops": secops}
    users = world.users
    users["reporter"] = UserFactory(username="rita", role=roles.REPORTER)
    users["other_reporter"] = UserFactory(username="oscar", role=roles.REPORTER)
    users["desk_agent"] = UserFactory(username="dana", role=roles.DESK_AGENT, team=desk)
    users["resolver"] = UserFactory(username="nick", role=roles.RESOLVER, team=network)
    users["outside_resolver"] = UserFactory(username="paula", role=roles.RESOLVER, team=platform)
    users["security_member"] = UserFactory(username="sam", role=roles.RESOLVER, team=secops)
    users["security_member_without_role"] = UserFactory(username="sid", team=secops)
    users["participant"] = UserFactory(username="lena", role=roles.REPORTER)
    users["staff_participant"] = UserFactory(username="pete", role=roles.DESK_AGENT, team=desk)
    users["incident_manager"] = UserFactory(username="maria", role=roles.INCIDENT_MANAGER)
    users["auditor"] = UserFactory(username="alex", role=roles.AUDITOR)
    users["superuser"] = UserFactory(username="root", is_superuser=True, is_staff=True)

    ordinary = CategoryFactory(name="Network", default_team=network)
    secret = CategoryFactory(name="HR data", default_team=network, confidential=True)
    breach = CategoryFactory(name="Security", default_team=secops, security=True)
    reporter, desk_agent = users["reporter"], users["desk_agent"]
    manager = users["incident_manager"]

    def logged(category, summary: str) -> Incident:
        return make_incident(reporter=reporter, category=category, summary=summary,
                             created_by=desk_agent, channel=Channel.PHONE)

    world.incidents["ordinary"] = logged(ordinary, "Printer offline on floor 2")
    world.incidents["confidential"] = logged(secret, "Payroll export sent to the wrong person")
    world.incidents["security"] = logged(breach, "Phishing mail with a credential form")
    # Flagged by an incident manager: routed from Network to the security team.
    flagged = logged(ordinary, "Odd outbound traffic from a build server")
    world.incidents["flagged"] = security.flag_security(incident=flagged, by=manager, reason="Beaconing to a C2 host")
    # An invariant broken by hand (security without confidential): the rule still holds it back.
    stray = world.incidents["security, not confidential, Network queue"] = logged(
        ordinary, "Security incident left on the Network queue")
    for name in ("confidential", "security", "flagged", "security, not confidential, Network queue"):
        for person in ("participant", "staff_participant"):
            security.name_participant(incident=world.incidents[name], person=users[person], by=manager)
    Incident.objects.filter(pk=stray.pk).update(security=True, confidential=False)
    world.incidents["security, not confidential, Network queue"] = Incident.objects.get(pk=stray.pk)
    world.incidents = {name: Incident.objects.get(pk=incident.pk) for name, incident in world.incidents.items()}
    return world
