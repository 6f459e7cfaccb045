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

__all__ = [
    "ALL_ROLES", "AUDITOR", "DESK_AGENT", "INCIDENT_MANAGER", "REPORTER", "RESOLVER", "ROLE_PERMISSIONS", "STAFF_ROLES",
    "can_comment", "can_view", "can_work_on", "is_auditor", "is_desk_agent", "is_incident_manager", "is_member", "is_resolver",
    "is_staff_role", "preload_roles_and_teams", "role_names", "sees_internal", "team_ids",
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


def team_ids(user: AbstractBaseUser) -> frozenset[int]:
    """Ids of the teams the user belongs to, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_itsm_team_ids", None)
    if cached is None:
        cached = frozenset(user.teams.values_list("pk", flat=True))
        user._itsm_team_ids = cached
    return cached


def preload_roles_and_teams(users: Iterable[AbstractBaseUser]) -> None:
    """Read the roles and team ids of all these users in two queries into the caches the rules
    read (`role_names`, `team_ids`): asking `can_view`/`sees_internal` about many users (the owners
    of webhook endpoints) then costs no query per user. For user objects fetched for this purpose:
    the caches live as long as the object."""
    from .models import Team

    users = list(users)
    preload_role_names(users)
    teams: dict[int, set[int]] = defaultdict(set)
    memberships = Team.members.through.objects.filter(user_id__in=[user.pk for user in users])
    for user_id, team_id in memberships.values_list("user_id", "team_id"):
        teams[user_id].add(team_id)
    for user in users:
        user._itsm_team_ids = frozenset(teams[user.pk])


def is_member(user: AbstractBaseUser, team: Team | int | None) -> bool:
    if team is None:
        return False
    team_id = team if isinstance(team, int) else team.pk
    return team_id in team_ids(user)


def can_work_on(user: AbstractBaseUser, incident: Incident) -> bool:
    """Desk agents and incident managers act on every incident; a resolver on their team's. A
    confidential incident only its own team and incident managers work on: the desk that logged it
    hands it over, and a staff member who reported it follows it as its reporter."""
    if incident.confidential:
        return (getattr(user, "is_superuser", False) or is_incident_manager(user)
                or (is_staff_role(user) and is_member(user, incident.team_id)))
    if is_desk_agent(user) or is_incident_manager(user):
        return True
    return is_resolver(user) and is_member(user, incident.team_id)


def can_comment(user: AbstractBaseUser, incident: Incident) -> bool:
    """Who may write on the incident: those who work on it (replies and work notes), and its
    reporter (public replies only)."""
    return can_work_on(user, incident) or incident.reporter_id == user.pk


def sees_internal(user: AbstractBaseUser, incident: Incident) -> bool:
    """Who reads the incident's work notes, internal files and whole timeline: staff who may see it
    for their work. A staff member who reported a confidential incident (a phishing mail they
    clicked) reads it as its reporter does, not the investigating team's notes."""
    if not is_staff_role(user):
        return False
    if not incident.confidential or getattr(user, "is_superuser", False):
        return True
    return is_incident_manager(user) or is_member(user, incident.team_id)


def can_view(user: AbstractBaseUser, incident: Incident) -> bool:
    """The object-level read rule; `IncidentQuerySet.visible_to` is the same rule in SQL."""
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    if incident.confidential:
        return (
            is_incident_manager(user)
            or is_member(user, incident.team_id)
            or incident.reporter_id == user.pk
        )
    if is_staff_role(user):
        return True
    return incident.reporter_id == user.pk
