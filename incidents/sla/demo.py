"""The SLA's part of the demo (`manage.py seed_demo`): an escalation path for each team below the
top tier, and a P2 that breached both its targets, with what the sweep did about it on its
timeline (the on-call paged, the incident managers told, the incident routed up a tier).

The P2 is opened through the services like any incident; then it is moved nine hours into the past
(`incidents.demo.move_into_the_past`, as the SLA tests move an incident's clock), and the real sweep
runs. So what the demo shows is what the sweep does, not a copy of it. The sweep also does what is
due on the stories' incidents by then (pages and notices for P1/P2 incidents left unassigned), as
it would a minute later under `make run`. Idempotent: paths by team, the P2 by its summary.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from .. import services
from ..demo import move_into_the_past
from ..models import Channel, EscalationPath, Incident
from . import sweep

# Who keeps the SLA configuration.
CONFIGURED_BY = "maria"

# Where each team's incidents go when they must move up a tier (the tiers of `demo_data.TEAMS`).
ESCALATION_PATHS = [("Service Desk", "Network"), ("Network", "Platform"), ("Security", "Platform")]

BREACHED_SUMMARY = "Warehouse scanners cannot reach the stock system"
BREACHED_DESCRIPTION = (
    "Since the night shift none of the 30 handheld scanners in the warehouse can reach the stock "
    "system; they connect to the Wi-Fi but show 'Server not reachable'. We are writing the picks down "
    "on paper, and the morning trucks leave at 10:00."
)
# Long enough for both P2 targets (30 minutes to respond, 8 hours to resolve, 24x7) to have passed.
HOURS_AGO = 9


def seed_escalation_paths(org) -> int:
    """The paths that do not exist yet. They are configuration, kept in the admin, which has no
    service for them: saved as the admin saves them, with the manager in their history."""
    added = 0
    for team, escalates_to in ESCALATION_PATHS:
        if EscalationPath.objects.filter(team=org.teams[team]).exists():
            continue
        path = EscalationPath(team=org.teams[team], escalates_to=org.teams[escalates_to])
        path.full_clean()
        path._history_user = org.users[CONFIGURED_BY]
        path.save()
        added += 1
    return added


def seed_breached_incident(org) -> int:
    """The breached P2, unless it exists. Returns 1 when it was added."""
    if Incident.objects.filter(summary=BREACHED_SUMMARY).exists():
        return 0
    with transaction.atomic():
        # Reported overnight on the portal, and nobody picked it up.
        incident = services.incident_create(
            reporter=org.users["oscar"], summary=BREACHED_SUMMARY, description=BREACHED_DESCRIPTION,
            channel=Channel.PORTAL, category=org.categories["Network"], service=org.services["Wi-Fi"],
            impact="high", urgency="medium",
        )
        move_into_the_past(incident, timedelta(hours=HOURS_AGO))
    # Everything due on it fires now: the page at 5 minutes unassigned, the manager at 15, both
    # breaches, the missed stakeholder update, and the route to the escalation path's team.
    sweep.sweep()
    return 1
