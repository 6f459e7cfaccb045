"""What the regulatory panel and the list of running clocks read. Visibility is the incidents'
rule: clocks are part of the incident's internal record (`roles.sees_internal` /
`Incident.objects.seen_internally_by`)."""

from __future__ import annotations

from django.db.models import QuerySet

from incidents.models import Incident

from ..models import ClockState, Regulation, RegulatoryClock


def clocks_of(incident: Incident) -> list[RegulatoryClock]:
    """The incident's clocks, soonest deadline first (one query). The caller checks that the
    reader sees the incident's internal record."""
    return list(RegulatoryClock.objects.filter(incident=incident)
                .select_related("regulation", "applied_by", "stopped_by").order_by("due_at", "pk"))


def clocks_seen_by(user) -> QuerySet[RegulatoryClock]:
    """Every clock on an incident whose internal record the user reads."""
    return RegulatoryClock.objects.filter(incident__in=Incident.objects.seen_internally_by(user).values("pk"))


def running_clocks(user) -> QuerySet[RegulatoryClock]:
    """The running clocks the user may see, across incidents, soonest deadline first."""
    return (clocks_seen_by(user).filter(state=ClockState.RUNNING)
            .select_related("incident", "regulation").order_by("due_at", "pk"))


def regulations_to_apply(incident: Incident, clocks: list[RegulatoryClock]) -> QuerySet[Regulation]:
    """The active regulations the incident has no clock for yet."""
    return Regulation.objects.filter(active=True).exclude(pk__in=[clock.regulation_id for clock in clocks])
