"""SLA metrics over a period, by priority, by team and by category: counted in the database, one
grouped query per table and one for the whole period, whatever the number of incidents.

Every figure reads only the incidents the viewer sees in the admin
(`Incident.objects.seen_internally_by`, as the staff home does) and leaves exercises out. What each
figure counts is `figures`' (and docs/metrics.md); the durations are the staff home's
(`core.durations.SecondsBetween`, wall-clock from the stored timestamps).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Avg, Count, ExpressionWrapper, F, FloatField, QuerySet

from core.durations import Mean, SecondsBetween, Share, seconds
from incidents.models import Incident, Priority

from . import figures
from .figures import Period


@dataclass(frozen=True)
class MetricsRow:
    """One line of a table: a priority, a team or a category (`key` None: none set, or the total)."""

    key: int | None
    label: str
    opened: int
    resolved: int
    mtta: Mean
    mttr: Mean
    mttr_on_clock: Mean
    response_met: Share
    resolution_met: Share


@dataclass(frozen=True)
class SlaReport:
    period: Period
    by_priority: list[MetricsRow]
    by_team: list[MetricsRow]
    by_category: list[MetricsRow]
    total: MetricsRow


def in_period(user, period: Period) -> QuerySet[Incident]:
    """The incidents the figures of `period` read: seen by the user, no exercise, opened or resolved
    in the period."""
    return (Incident.objects.seen_internally_by(user)
            .filter(figures.counted())
            .filter(figures.opened_in(period) | figures.resolved_in(period)))


def _aggregates(period: Period) -> dict:
    opened = figures.opened_in(period)
    resolved = figures.resolved_in(period)
    on_clock = ExpressionWrapper(SecondsBetween("resolved_at", "opened_at") - F("paused_seconds"),
                                 output_field=FloatField())
    return {
        "opened": Count("pk", filter=opened),
        "responded": Count("pk", filter=opened & figures.RESPONDED),
        "mtta": Avg(SecondsBetween("responded_at", "opened_at"), filter=opened & figures.RESPONDED),
        "response_settled": Count("pk", filter=opened & figures.RESPONSE_SETTLED),
        "response_met": Count("pk", filter=opened & figures.RESPONSE_MET),
        "resolved": Count("pk", filter=resolved),
        "mttr": Avg(SecondsBetween("resolved_at", "opened_at"), filter=resolved),
        "mttr_on_clock": Avg(on_clock, filter=resolved),
        "resolution_settled": Count("pk", filter=resolved & figures.RESOLUTION_SETTLED),
        "resolution_met": Count("pk", filter=resolved & figures.RESOLUTION_MET),
    }


def _row(key: int | None, label: str, f: dict) -> MetricsRow:
    return MetricsRow(
        key=key, label=label,
        opened=f.get("opened") or 0,
        resolved=f.get("resolved") or 0,
        mtta=Mean(seconds(f.get("mtta")), f.get("responded") or 0),
        mttr=Mean(seconds(f.get("mttr")), f.get("resolved") or 0),
        mttr_on_clock=Mean(seconds(f.get("mttr_on_clock")), f.get("resolved") or 0),
        response_met=Share(f.get("response_met") or 0, f.get("response_settled") or 0),
        resolution_met=Share(f.get("resolution_met") or 0, f.get("resolution_settled") or 0),
    )


def by_priority(user, period: Period) -> list[MetricsRow]:
    """Every priority, P1 first, those without incidents in the period too (all zero)."""
    found = {row["priority"]: row for row in
             in_period(user, period).values("priority").order_by("priority").annotate(**_aggregates(period))}
    return [_row(p, Priority(p).label, found.get(p, {})) for p in Priority.values]


def _by_named(user, period: Period, field: str, nothing: str) -> list[MetricsRow]:
    rows = (in_period(user, period).values(f"{field}_id", f"{field}__name").order_by()
            .annotate(**_aggregates(period)))
    found = [_row(r[f"{field}_id"], r[f"{field}__name"] or nothing, r) for r in rows]
    # By name, and the incidents with none set last.
    return sorted(found, key=lambda row: (row.key is None, row.label.casefold()))


def by_team(user, period: Period) -> list[MetricsRow]:
    return _by_named(user, period, "team", "No team")


def by_category(user, period: Period) -> list[MetricsRow]:
    return _by_named(user, period, "category", "No category")


def total(user, period: Period) -> MetricsRow:
    return _row(None, "All incidents", in_period(user, period).aggregate(**_aggregates(period)))


def sla_report(user, period: Period) -> SlaReport:
    """The three tables and the total: four queries."""
    return SlaReport(period=period, by_priority=by_priority(user, period), by_team=by_team(user, period),
                     by_category=by_category(user, period), total=total(user, period))
