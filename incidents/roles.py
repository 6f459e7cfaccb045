"""Who may do what with incidents. Roles are Django groups (their names and the predicates that
need only the user are `core.roles`, handed on here); team membership is data.

Every surface (admin, portal, API, tasks) asks these functions, so a rule is written once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from core.roles import (
    ALL_ROLES,
    AUDITOR,
    DESK_AGENT,
    INCIDENT_MANAGER,
    REPORTER,
    RESOLVER,
    STAFF_ROLES,
    is_auditor,
    is_desk_agent,
    is_incident_manager,
    is_resolver,
    is_staff_role,
    preload_role_names,
    role_names,
)

from . import visibility
from .visibility import is_security_member, team_ids

__all__ = [
    "ALL_ROLES", "AUDITOR", "DESK_AGENT", "INCIDENT_MANAGER", "REPORTER", "RESOLVER", "ROLE_PERMISSIONS", "STAFF_ROLES",
    "can_comment", "can_view", "can_work_on", "is_auditor", "is_desk_agent", "is_incident_manager", "is_member", "is_resolver",
    "is_security_member", "is_staff_role", "preload_roles_and_teams", "role_names", "sees_internal", "team_ids",
]

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from .models import Incident, Team

_WORK = ["view_incident", "change_incident", "work_incident", "view_comment", "add_comment",
         "view_attachment", "add_attachment", "view_team", "view_category", "view_service",
         "view_incidentevent"]
# The incidents permissions each role holds (granted after every migrate: core.permissions).
ROLE_PERMISSIONS: dict[str, list[str]] = {
    REPORTER: [],
    DESK_AGENT: [*_WORK, "add_incident", "triage_incident", "view_priorityrule", "view_holdreason"],
    RESOLVER: _WORK,
    AUDITOR: [],
    INCIDENT_MANAGER: [*_WORK, "add_incident", "triage_incident", "add_team", "change_team",
                       "add_category", "change_category", "add_service", "change_service",
                       "view_priorityrule", "change_priorityrule", "view_notification", "view_holdreason",
                       "add_holdreason", "change_holdreason"],
}


def preload_roles_and_teams(users: Iterable[AbstractBaseUser]) -> None:
    """Read the roles and team ids of all these users in two queries into the caches the rules
    read (`role_names`, `team_ids`): asking `can_view`/`sees_internal` about many users (the owners
    of webhook endpoints) then costs no query per user. For user objects fetched for this purpose:
    the caches live as long as the object."""
    from .models import Team

    users = list(users)
    preload_role_names(users)
    teams: dict[int, set[int]] = defaultdict(set)
    security: dict[int, set[int]] = defaultdict(set)
    memberships = Team.members.through.objects.filter(user_id__in=[user.pk for user in users])
    for user_id, team_id, is_security in memberships.values_list("user_id", "team_id", "team__security"):
        teams[user_id].add(team_id)
        if is_security:
            security[user_id].add(team_id)
    for user in users:
        user._itsm_team_ids = frozenset(teams[user.pk])
        user._itsm_security_team_ids = frozenset(security[user.pk])


def is_member(user: AbstractBaseUser, team: Team | int | None) -> bool:
    if team is None:
        return False
    team_id = team if isinstance(team, int) else team.pk
    return team_id in team_ids(user)


def can_work_on(user: AbstractBaseUser, incident: Incident) -> bool:
    """Desk agents and incident managers act on every incident; a resolver on their team's. A
    confidential incident only its own team's staff and incident managers work on, a security one
    the security team's staff and incident managers: the desk that logged it hands it over, and a
    staff member who reported it follows it as its reporter. The rule: `visibility.WORK`."""
    return visibility.WORK.allows(user, incident)


def can_comment(user: AbstractBaseUser, incident: Incident) -> bool:
    """Who may write on the incident: those who work on it (replies and work notes), and its
    reporter (public replies only)."""
    return can_work_on(user, incident) or incident.reporter_id == user.pk


def sees_internal(user: AbstractBaseUser, incident: Incident) -> bool:
    """Who reads the incident's work notes, internal files and whole timeline: staff (and auditors)
    who may see it for their work. A staff member who reported a confidential incident (a phishing
    mail they clicked) reads it as its reporter does, not the investigating team's notes. The rule:
    `visibility.INTERNAL`, whose SQL twin is `IncidentQuerySet.seen_internally_by`."""
    return visibility.INTERNAL.allows(user, incident)


def can_view(user: AbstractBaseUser, incident: Incident) -> bool:
    """The object-level read rule (`visibility.READ`); `IncidentQuerySet.visible_to` is the same
    rule in SQL."""
    return visibility.READ.allows(user, incident)
