"""Shared set-up for the SLA, escalation and on-call tests."""

from __future__ import annotations

from datetime import UTC, datetime

from incidents import services
from incidents.models import Escalation, EscalationRule, Incident, IncidentEvent
from incidents.sla import sweep as escalation
from incidents.tests.factories import make_incident

# A Monday, 10:00 UTC (the seeded office calendar uses the project's TIME_ZONE, UTC in tests).
MONDAY_10 = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)

IMPACT_URGENCY = {1: ("high", "high"), 2: ("high", "medium"), 3: ("medium", "medium"), 4: ("low", "low")}


def open_incident(priority: int, *, reporter, category, **kwargs) -> Incident:
    impact, urgency = IMPACT_URGENCY[priority]
    incident = make_incident(reporter=reporter, category=category, impact=impact, urgency=urgency, **kwargs)
    assert incident.priority == priority
    return incident


def sweep() -> escalation.SweepResult:
    return escalation.sweep()


def fired(incident: Incident) -> list[str]:
    """Names of the rules fired for the incident, in order."""
    rows = Escalation.objects.filter(incident=incident, rule__isnull=False).select_related("rule").order_by("pk")
    return [row.rule.name for row in rows]


def breaches(incident: Incident) -> list[str]:
    """The targets recorded as breached ('response', 'resolution'), in order."""
    rows = Escalation.objects.filter(incident=incident, rule__isnull=True).order_by("pk")
    return [row.key.split(":")[0].removeprefix("breach-") for row in rows]


def timeline(incident: Incident, *kinds: str) -> list[IncidentEvent]:
    events = IncidentEvent.objects.filter(incident=incident).order_by("pk")
    return list(events.filter(kind__in=kinds) if kinds else events)


def rule(name_start: str) -> EscalationRule:
    return EscalationRule.objects.get(name__startswith=name_start)


def only_rules(*prefixes: str) -> None:
    """Keep just the seeded rules named so, so that a test sees one behaviour at a time."""
    keep = [r.pk for r in EscalationRule.objects.all() if r.name.startswith(prefixes)]
    EscalationRule.objects.exclude(pk__in=keep).update(active=False)


def claim(incident: Incident, user) -> Incident:
    return services.transition(incident=incident, user=user, name="claim")
