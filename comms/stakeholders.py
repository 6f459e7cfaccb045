"""Who hears an incident's updates: its audiences, worked out when an update is posted.

Some hear of every incident they have a stake in without being added: its reporter (external),
the owners of its service and, for a P1 or P2 or a major incident of any priority, the incident
managers (internal); a major incident's commander and communications lead first of all. Others are added
by hand (`Stakeholder`): a person, a team, a free address, each as internal or external.

A confidential incident's internal audience is held to its read rule: a person only if they may
read its whole record (`roles.sees_internal`), a team's shared address only for its own team, so
that no update about it reaches a mailbox that could not open it.

A drill (`Incident.exercise`) has an internal audience only: nothing about an exercise goes outside.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from incidents import roles, visibility
from incidents.models import Incident, Priority, Team

from .models import Audience, ServiceOwner, Stakeholder

MANAGERS_FROM = Priority.P2  # P1 and P2: the incident managers hear of every update


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str
    audience: str
    why: str
    automatic: bool = True
    stakeholder_id: int | None = None


class _Collector:
    def __init__(self, incident: Incident) -> None:
        self.incident = incident
        self.found: dict[str, Recipient] = {}

    def person(self, user, audience: str, why: str, **extra) -> None:
        if not user.is_active or not user.email:
            return
        restricted = self.incident.confidential or self.incident.security
        if audience == Audience.INTERNAL and restricted and not roles.sees_internal(user, self.incident):
            return
        name = user.get_full_name() or user.get_username()
        self.address(user.email, name, audience, why, **extra)

    def team(self, team: Team, audience: str, why: str, **extra) -> None:
        restricted = audience == Audience.INTERNAL and not visibility.team_may_hear(self.incident, team)
        if team.email and not restricted:
            self.address(team.email, team.name, audience, why, **extra)
            return
        for member in team.members.all():
            self.person(member, audience, f"{why} ({team.name})", **extra)

    def address(self, address: str, name: str, audience: str, why: str, **extra) -> None:
        key = address.strip().lower()
        if key and key not in self.found:
            self.found[key] = Recipient(address=address.strip(), name=name, audience=audience, why=why, **extra)


def by_audience(incident: Incident) -> tuple[list[Recipient], list[Recipient]]:
    """`audience(incident)` split: its internal recipients, then its external ones."""
    everyone = audience(incident)
    return ([r for r in everyone if r.audience == Audience.INTERNAL],
            [r for r in everyone if r.audience == Audience.EXTERNAL])


def audience(incident: Incident) -> list[Recipient]:
    """Everyone who hears this incident's updates, once each (the first reason found is the one
    given), internal before external."""
    collect = _Collector(incident)
    if incident.is_major:
        for person, role in ((incident.commander, "incident commander"), (incident.comms_lead, "communications lead")):
            if person is not None:
                collect.person(person, Audience.INTERNAL, role)
    owners = ServiceOwner.objects.filter(service_id=incident.service_id).select_related("team", "user") \
        .prefetch_related("team__members") if incident.service_id else []
    for owner in owners:
        if owner.team_id:
            collect.team(owner.team, Audience.INTERNAL, "owns the service")
        else:
            collect.person(owner.user, Audience.INTERNAL, "owns the service")
    if incident.priority <= MANAGERS_FROM or incident.is_major:
        managers = get_user_model().objects.filter(groups__name=roles.INCIDENT_MANAGER, is_active=True)
        why = "major incident" if incident.is_major else incident.get_priority_display()[:2]
        for manager in managers.exclude(email=""):
            collect.person(manager, Audience.INTERNAL, f"incident manager ({why})")
    added = list(Stakeholder.objects.filter(incident=incident).select_related("user", "team")
                 .prefetch_related("team__members"))
    # A drill has no external audience: its reporter is simulated, and nobody outside hears of it.
    for wanted in (Audience.INTERNAL,) if incident.exercise else (Audience.INTERNAL, Audience.EXTERNAL):
        if wanted == Audience.EXTERNAL:
            collect.person(incident.reporter, Audience.EXTERNAL, "reported it")
        for row in added:
            if row.audience != wanted:
                continue
            extra = {"automatic": False, "stakeholder_id": row.pk}
            if row.user_id:
                collect.person(row.user, wanted, "added", **extra)
            elif row.team_id:
                collect.team(row.team, wanted, "added", **extra)
            else:
                collect.address(row.email, row.email, wanted, "added", **extra)
    return list(collect.found.values())


# --- the affected customers of a security incident ------------------------------------------------
# Their own audience: an update is addressed to them alone, never to them by way of "external", and
# they read only what is posted to them (no work notes: an update is its own text). Who they are is
# kept by the security response, above this app, which registers where to find them.
CUSTOMERS = "customers"
CustomerSource = Callable[[Incident], Iterable[tuple[str, str]]]
CUSTOMER_SOURCES: list[CustomerSource] = []


def register_customers(source: CustomerSource) -> CustomerSource:
    """`source(incident)` yields (name, address) of each customer it affected; from an app's `ready()`."""
    if source not in CUSTOMER_SOURCES:
        CUSTOMER_SOURCES.append(source)
    return source


def customers(incident: Incident) -> list[Recipient]:
    """The affected customers of an incident, once each; none for a drill, which nobody outside hears of."""
    if incident.exercise:
        return []
    collect = _Collector(incident)
    for source in CUSTOMER_SOURCES:
        for name, address in source(incident):
            collect.address(address, name, CUSTOMERS, "affected customer")
    return list(collect.found.values())
