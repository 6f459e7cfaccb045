"""The roles (Django groups, created by data migrations) and the predicates that need nothing but
the user: which role someone holds. Rules about a particular object (may this resolver work on
that incident?) belong to the app that owns the object (`incidents.roles`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

REPORTER = "Reporter"
DESK_AGENT = "Service desk agent"
RESOLVER = "Resolver"
INCIDENT_MANAGER = "Incident manager"
# Reads the record and its proof (audit chain, conformance, metrics, exports); changes nothing.
AUDITOR = "Auditor"
ALL_ROLES = (REPORTER, DESK_AGENT, RESOLVER, INCIDENT_MANAGER, AUDITOR)
# The roles that work incidents (`is_staff_role`), as group names for queries.
STAFF_ROLES = (DESK_AGENT, RESOLVER, INCIDENT_MANAGER)


def role_names(user: AbstractBaseUser) -> frozenset[str]:
    """The user's role names, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_itsm_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._itsm_roles = cached
    return cached


def preload_role_names(users: Iterable[AbstractBaseUser]) -> None:
    """Read the role names of all these users in one query into the cache `role_names` reads, so
    that asking about many users costs no query per user."""
    from django.contrib.auth import get_user_model

    by_pk = {user.pk: user for user in users}
    if not by_pk:
        return
    names: dict[int, set[str]] = defaultdict(set)
    memberships = get_user_model().groups.through.objects.filter(user_id__in=by_pk)
    for user_id, name in memberships.values_list("user_id", "group__name"):
        names[user_id].add(name)
    for pk, user in by_pk.items():
        user._itsm_roles = frozenset(names[pk])


def is_desk_agent(user: AbstractBaseUser) -> bool:
    return bool(getattr(user, "is_superuser", False)) or DESK_AGENT in role_names(user)


def is_incident_manager(user: AbstractBaseUser) -> bool:
    return bool(getattr(user, "is_superuser", False)) or INCIDENT_MANAGER in role_names(user)


def is_auditor(user: AbstractBaseUser) -> bool:
    return AUDITOR in role_names(user)


def is_resolver(user: AbstractBaseUser) -> bool:
    return RESOLVER in role_names(user)


def is_staff_role(user: AbstractBaseUser) -> bool:
    """Desk agents, resolvers and incident managers work the incidents; reporters do not."""
    return is_desk_agent(user) or is_incident_manager(user) or is_resolver(user)
