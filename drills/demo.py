"""The drills of the demo (`manage.py seed_demo`): the "Core switch failure" scenario, with two
scripted alerts and an internal update, and one drill run from it and finished, with its score.

Through the services, as maria (the incident manager who facilitates) and nick (Network, who picks
it up). Idempotent: the scenario, or a drill of it, already there is left as it is.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from incidents import services as incidents

from . import services
from .models import Drill, Scenario, ScenarioStep, StepKind

TITLE = "Core switch failure"
STEPS = [
    (0, StepKind.ALERT, {"title": "core-sw-1 unreachable (ICMP and SNMP)", "severity": "critical",
                         "labels": {"device": "core-sw-1", "site": "dc1"}}),
    (5, StepKind.ALERT, {"title": "Office Wi-Fi controllers lost their uplink", "severity": "critical",
                         "labels": {"device": "wlc-1", "site": "dc1"}}),
    (10, StepKind.UPDATE, {"text": "Drill: the offices are offline after a core switch failure in DC1. Network is "
                                   "failing over to core-sw-2; next update in 30 minutes."}),
]


def seed(org) -> int:
    """Returns how many rows it added (the scenario, the drill)."""
    added = 0
    with transaction.atomic():
        scenario = Scenario.objects.filter(title=TITLE).first()
        if scenario is None:
            scenario = Scenario.objects.create(
                title=TITLE,
                briefing="Tabletop and live paging test: the DC1 core switch dies at 10:00. Watch who is paged, "
                         "how fast Network claims it, and whether the first internal update goes out on time.",
                summary="Core switch DC1 down: offices offline", category=org.categories["Network"],
                service=org.services["Wi-Fi"], impact="high", urgency="high", channel="monitoring",
                description="Both uplinks of core-sw-1 are dark; the offices lost the network.",
            )
            for offset, kind, fields in STEPS:
                ScenarioStep.objects.create(scenario=scenario, offset_minutes=offset, kind=kind, **fields)
            added += 1
        if not Drill.objects.filter(scenario=scenario).exists():
            # Fresh rows: the organisation's user objects cache the roles and teams read before.
            maria, nick = (get_user_model().objects.get(pk=org.users[name].pk) for name in ("maria", "nick"))
            drill = services.start_drill(scenario=scenario, by=maria)
            services.run_due_steps(now=drill.started_at)  # the first alert, at the start
            incidents.transition(incident=drill.incident, user=nick, name="claim")
            services.end_drill(drill=drill, by=maria,
                               notes="Network claimed it within minutes; the update and the second alert were "
                                     "not reached before we stopped.")
            added += 1
    return added
