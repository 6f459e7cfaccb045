"""The SOP's SLA defaults: calendars, a policy per priority, escalation rules, and who may edit them.

P1 15 min / 4 h and P2 30 min / 8 h run 24x7; P3 4 business hours / 3 business days and P4
1 business day / 5 business days run on office hours (Monday to Friday, 09:00-17:00, in the
project's TIME_ZONE). P1 needs a stakeholder update every 30 minutes, P2 every 60.
"""

from datetime import time

from django.conf import settings
from django.db import migrations

DAY = 8 * 60

POLICIES = [
    # priority, calendar, response, resolution, update cadence
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
    "Incident manager": [f"{verb}_{model}" for model in CONFIG_MODELS for verb in ("view", "add", "change", "delete")]
    + ["view_escalation", "view_page"],
    "Service desk agent": [f"view_{model}" for model in CONFIG_MODELS] + ["view_escalation", "view_page"],
    "Resolver": ["view_rotation", "view_rotationmember", "view_rotationoverride", "view_escalation", "view_page"],
}


def seed(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("incidents")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="incidents", codename__in=codenames))

    BusinessCalendar = apps.get_model("incidents", "BusinessCalendar")
    BusinessHours = apps.get_model("incidents", "BusinessHours")
    always, _ = BusinessCalendar.objects.get_or_create(name="24x7", defaults={"always_open": True})
    office, created = BusinessCalendar.objects.get_or_create(
        name="Office hours", defaults={"time_zone": settings.TIME_ZONE, "is_default": True},
    )
    if created:
        BusinessHours.objects.bulk_create(
            BusinessHours(calendar=office, weekday=d, opens=time(9), closes=time(17)) for d in range(5)
        )
    calendars = {"24x7": always, "Office hours": office}

    SlaPolicy = apps.get_model("incidents", "SlaPolicy")
    for priority, calendar, response, resolution, update in POLICIES:
        SlaPolicy.objects.get_or_create(priority=priority, defaults={
            "calendar": calendars[calendar], "response_minutes": response, "resolution_minutes": resolution,
            "update_minutes": update,
        })

    EscalationRule = apps.get_model("incidents", "EscalationRule")
    if not EscalationRule.objects.exists():
        EscalationRule.objects.bulk_create(
            EscalationRule(name=name, up_to_priority=up_to, trigger=trigger, percent=percent, minutes=minutes,
                           action=action)
            for name, up_to, trigger, percent, minutes, action in RULES
        )

    # Incidents opened before the clock existed get it on the next sweep.
    Incident = apps.get_model("incidents", "Incident")
    from django.utils import timezone

    Incident.objects.filter(state__in=["new", "triaged", "in_progress", "on_hold", "resolved"]).update(
        next_due_at=timezone.now()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0003_sla_clock_escalation_oncall"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
