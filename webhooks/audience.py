"""Whom an endpoint speaks for: which events its owner may be sent, and who may own one.

An endpoint forwards what its owner could read on the portal or in the admin, no more. Two rules
of `incidents.roles` decide it, because an incident has two audiences:

- `sees_internal`: staff who read the whole record (work notes, internal events, the staff
  timeline) receive every event of the incident;
- `can_view`: anyone else who may read the incident (its reporter, or a staff member who reported
  a confidential incident and reads it only as its reporter) receives its public events only.

So a delivery is owed when `sees_internal(owner, incident)`, or when the event is public and
`can_view(owner, incident)`. Routing (`routing`) asks it when the event is written, and every
attempt (`delivery.claim`) asks it again, because the incident may have turned confidential or the
owner lost a role since.

Endpoints are owned by staff (`may_own`). One whose owner has since lost their staff role hears
only what they may still read, by the same rule.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from core.roles import STAFF_ROLES
from incidents.models import Incident
from incidents.roles import can_view, sees_internal


def may_receive(owner, incident: Incident, *, public: bool) -> bool:
    """May the endpoint of `owner` be sent this event of `incident`?"""
    return sees_internal(owner, incident) or (public and can_view(owner, incident))


def may_own() -> Q:
    """Who may own an endpoint, as a filter on users: active staff (desk agents, resolvers,
    incident managers) and superusers, the people `core.roles.is_staff_role` says work incidents.
    A reporter follows their incidents on the portal and by e-mail; an endpoint of theirs would
    hear only the public events of their own incidents. The owner field's `limit_choices_to`, so
    the admin's choices, its autocomplete and the model's validation all apply it."""
    staff = get_user_model().objects.filter(is_active=True).filter(
        Q(is_superuser=True) | Q(groups__name__in=STAFF_ROLES))
    # A subquery rather than a join on the groups: no duplicates, whatever else filters the users.
    return Q(pk__in=staff.values("pk"))


def owner_choices() -> QuerySet:
    """The users who may own an endpoint (`may_own`), by user name."""
    return get_user_model().objects.filter(may_own()).order_by("username")
