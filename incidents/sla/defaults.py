"""The SOP's SLA defaults, ensured after every migrate (and after a test database is flushed).

Migration 0004 seeds them on a new database; this puts them back where a flush removed them, and
grants the roles their SLA permissions. It never re-creates what an admin deleted: a table is
seeded only when it and its history are both empty, i.e. it has never been used.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings

from core.roles import DESK_AGENT, INCIDENT_MANAGER, RESOLVER

DAY = 8 * 60

POLICIES = [
    # priority, calendar, response, resolution, update cadence (minutes)
    (1, "24x7", 15, 4 * 60, 30),
    (2, "24x7", 30, 8 * 60, 60),
    (3, "Office hours", 4 * 60, 3 * DAY, None),
    (4, "Office hours", 1 * DAY, 5 * DAY, None),
]

RULES = [
    # name, up_to_priority, trigger, percent, minutes, action
    ("P1/P2 unassigned for 15 minutes: incident manager", 2, "unassigned", None, 15, "notify_manager"),
    ("P1/P2 unassigned for 5 minutes: page the team's on-call", 2, "unassigned", None, 5, "page_on_call"),
    ("75% of response target: team", 4, "response", 75, None, "notify_team"),
    ("90% of response target: team", 4, "response", 90, None, "notify_team"),
    ("Response target breached: incident manager", 4, "response", 100, None, "notify_manager"),
    ("75% of resolution target: assignee", 4, "resolution", 75, None, "notify_assignee"),
    ("90% of resolution target: team", 4, "resolution", 90, None, "notify_team"),
    ("Resolution target breached: incident manager", 4, "resolution", 100, None, "notify_manager"),
    ("Resolution target breached: route to tier 2/3", 4, "resolution", 100, None, "route_up"),
    ("P1/P2 stakeholder update overdue: incident manager", 2, "update_overdue", None, 0, "notify_manager"),
]

CONFIG_MODELS = ["businesscalendar", "businesshours", "holiday", "slapolicy", "escalationrule", "escalationpath",
                 "rotation", "rotationmember", "rotationoverride"]
ROLE_PERMISSIONS = {
    INCIDENT_MANAGER: [f"{verb}_{model}" for model in CONFIG_MODELS for verb in ("view", "add", "change", "delete")]
    + ["view_escalation", "view_page", "view_handoff", "view_handoffnote"],
    DESK_AGENT: [f"view_{model}" for model in CONFIG_MODELS] + ["view_escalation", "view_page", "view_handoff",
                                                                 "view_handoffnote"],
    RESOLVER: ["view_rotation", "view_rotationmember", "view_rotationoverride", "view_escalation", "view_page",
               "view_handoff", "view_handoffnote"],
}


def _never_used(model, using: str) -> bool:
    return not model.objects.using(using).exists() and not model.history.using(using).exists()


def ensure(sender=None, using: str = "default", **kwargs) -> None:
    """post_migrate receiver: permissions for the roles, and the default calendars, policies, rules."""
    from core.permissions import grant

    from ..models import BusinessCalendar, BusinessHours, EscalationRule, SlaConfigStamp, SlaPolicy

    grant("incidents", ROLE_PERMISSIONS, using=using)
    calendars = BusinessCalendar.objects.using(using)
    if _never_used(BusinessCalendar, using):
        calendars.create(name="24x7", always_open=True)
        office = calendars.create(name="Office hours", time_zone=settings.TIME_ZONE, is_default=True)
        BusinessHours.objects.using(using).bulk_create(
            BusinessHours(calendar=office, weekday=d, opens=time(9), closes=time(17)) for d in range(5)
        )
    if _never_used(SlaPolicy, using):
        by_name = {c.name: c for c in calendars.filter(name__in=["24x7", "Office hours"])}
        for priority, calendar, response, resolution, update in POLICIES:
            if calendar in by_name:
                SlaPolicy.objects.using(using).create(
                    priority=priority, calendar=by_name[calendar], response_minutes=response,
                    resolution_minutes=resolution, update_minutes=update,
                )
    if _never_used(EscalationRule, using):
        EscalationRule.objects.using(using).bulk_create(
            EscalationRule(name=name, up_to_priority=up_to, trigger=trigger, percent=percent, minutes=minutes,
                           action=action)
            for name, up_to, trigger, percent, minutes, action in RULES
        )
    # Data migrations change the configuration through historical models, which send no signal
    # to ours: whatever a migrate did, processes reload (unless it went back to before the stamp).
    from django.db import connections

    if SlaConfigStamp._meta.db_table in connections[using].introspection.table_names():
        SlaConfigStamp.renew(using)
