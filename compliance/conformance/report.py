"""The conformance report over a period: the rate of SOP steps met per team, per category and per
priority, and the most-missed steps with the incidents that missed them.

It reads the incidents opened in the period that the viewer sees in the admin
(`Incident.objects.seen_internally_by`), exercises left out, in batches of `BATCH` in primary-key
order; each batch costs one query for its incidents and the fixed queries of `checklists`. So the
count of queries grows with the number of batches (one per 500 incidents), never per incident.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from incidents.models import Incident, Priority

from . import BATCH, LABELS, MISSED, NA, checklists
from .checklist import Checklist

# How many incidents each most-missed step links to on the page (the count says how many in all).
LINKED = 100


@dataclass
class Rate:
    """One line of a table: a team, a category or a priority (`key` None: none set)."""

    key: int | None
    label: str
    incidents: int = 0
    met: int = 0
    applicable: int = 0

    @property
    def percent(self) -> float | None:
        return round(100 * self.met / self.applicable, 1) if self.applicable else None

    def add(self, result: Checklist) -> None:
        met, applicable = result.score
        self.incidents += 1
        self.met += met
        self.applicable += applicable


@dataclass
class Missed:
    """One SOP step and the incidents that missed it (the first `LINKED` of them, oldest first)."""

    key: str
    label: str
    count: int = 0
    applicable: int = 0
    incidents: list[tuple[int, str]] = field(default_factory=list)  # (id, reference)


@dataclass
class ConformanceSummary:
    total: Rate
    by_team: list[Rate]
    by_category: list[Rate]
    by_priority: list[Rate]
    most_missed: list[Missed]


def in_period(user, period) -> QuerySet[Incident]:
    """The incidents the report reads: seen internally by the user, opened in the period, no drill."""
    return (Incident.objects.seen_internally_by(user)
            .filter(exercise=False, opened_at__gte=period.start, opened_at__lt=period.end))


def _batches(queryset: QuerySet[Incident]):
    """The queryset's incidents, BATCH at a time in primary-key order (keyset: no OFFSET to re-read)."""
    queryset = queryset.select_related("team", "category").order_by("pk")
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last)[:BATCH])
        if batch:
            yield batch
        if len(batch) < BATCH:
            return
        last = batch[-1].pk


def _sorted(rates: dict) -> list[Rate]:
    return sorted(rates.values(), key=lambda r: (r.key is None, r.label))


def conformance_report(user, period) -> ConformanceSummary:
    total = Rate(None, "All incidents")
    teams: dict[int | None, Rate] = {}
    categories: dict[int | None, Rate] = {}
    priorities: dict[int, Rate] = {}
    steps = {key: Missed(key, label) for key, label in LABELS.items()}
    for batch in _batches(in_period(user, period)):
        results = checklists(batch)
        for incident in batch:
            result = results[incident.pk]
            total.add(result)
            teams.setdefault(incident.team_id, Rate(incident.team_id, str(incident.team or "No team"))).add(result)
            categories.setdefault(incident.category_id, Rate(
                incident.category_id, str(incident.category or "No category"))).add(result)
            priorities.setdefault(incident.priority, Rate(
                incident.priority, Priority(incident.priority).label)).add(result)
            for item in result.items:
                step = steps[item.key]
                if item.status != NA:
                    step.applicable += 1
                if item.status == MISSED:
                    step.count += 1
                    if len(step.incidents) < LINKED:
                        step.incidents.append((incident.pk, incident.reference))
    most_missed = sorted((s for s in steps.values() if s.count), key=lambda s: (-s.count, list(LABELS).index(s.key)))
    return ConformanceSummary(
        total=total, by_team=_sorted(teams), by_category=_sorted(categories),
        by_priority=sorted(priorities.values(), key=lambda r: r.key), most_missed=most_missed,
    )
