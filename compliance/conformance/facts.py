"""What the conformance rules read about a batch of incidents, loaded in a fixed number of queries.

`load(incidents)` gathers, for every incident of the batch at once, its timeline events, its
history rows, the SLA clock's escalation rows, its post-incident review (with its action items and
history) and the priority matrix as it stood over time. The rules (`rules.py`) then decide each
step from these `Facts` alone, without another query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from incidents.models import DEFAULT_MATRIX, Category, Escalation, Incident, IncidentEvent, PriorityRule
from incidents.sla import clock
from reviews.models import PostIncidentReview

HistoricalIncident = Incident.history.model
HistoricalPriorityRule = PriorityRule.history.model
HistoricalReview = PostIncidentReview.history.model

# The history columns the rules read (not the summary, hold, SLA clock or major-incident columns).
HISTORY_FIELDS = (
    "history_id", "history_date", "history_type", "history_user", "history_change_reason", "id", "state",
    "description", "service", "category", "impact", "urgency", "priority", "triage_decision",
    "known_error", "resolution_code", "resolution_notes", "workaround", "verification", "opened_at",
    "resolved_at", "closed_at", "team",
)


class Matrix:
    """The impact × urgency matrix as it stood at any moment, from the matrix's own history."""

    def __init__(self, rows: Sequence) -> None:
        self._rows: dict[tuple[str, str], list] = defaultdict(list)
        for row in rows:  # ordered by history_date, history_id
            self._rows[(row.impact, row.urgency)].append(row)

    def priority(self, impact: str, urgency: str, at: datetime) -> int:
        cell = (impact, urgency)
        standing = None
        for row in self._rows.get(cell, ()):
            if row.history_date <= at:
                standing = row
        if standing is None or standing.history_type == "-":
            return DEFAULT_MATRIX[cell]
        return standing.priority


@dataclass
class Facts:
    """One incident's record, as the rules read it."""

    incident: Incident
    events: list[IncidentEvent]
    history: list  # HistoricalIncident rows, oldest first
    escalations: list[Escalation]
    review: PostIncidentReview | None
    review_history: list
    matrix: Matrix
    config: clock.SlaConfig
    now: datetime
    categories: dict[int, str] = field(default_factory=dict)  # the names of the categories in its history

    def transitions(self, *names: str) -> list[IncidentEvent]:
        return [e for e in self.events if e.kind == "transition" and e.transition in names]

    def of_kind(self, *kinds: str) -> list[IncidentEvent]:
        return [e for e in self.events if e.kind in kinds]


def _history(ids: list[int]) -> dict[int, list]:
    rows: dict[int, list] = defaultdict(list)
    for row in (HistoricalIncident.objects.filter(id__in=ids).only(*HISTORY_FIELDS)
                .order_by("history_date", "history_id")):
        rows[row.id].append(row)
    return rows


def load(incidents: Sequence[Incident], *, now: datetime | None = None) -> list[Facts]:
    """The facts of every incident given, in at most ten queries (more only when the SLA
    configuration changed since this process last read it), however many incidents there are."""
    incidents = list(incidents)
    if not incidents:
        return []
    ids = [incident.pk for incident in incidents]
    now = now or timezone.now()
    events: dict[int, list] = defaultdict(list)
    for event in IncidentEvent.objects.filter(incident_id__in=ids).order_by("created_at", "pk"):
        events[event.incident_id].append(event)
    history = _history(ids)
    escalations: dict[int, list] = defaultdict(list)
    for row in Escalation.objects.filter(incident_id__in=ids).order_by("fired_at", "pk"):
        escalations[row.incident_id].append(row)
    reviews = {review.incident_id: review
               for review in PostIncidentReview.objects.filter(incident_id__in=ids).prefetch_related("action_items__owner")}
    review_history: dict[int, list] = defaultdict(list)
    if reviews:
        for row in (HistoricalReview.objects.filter(id__in=[r.pk for r in reviews.values()])
                    .only("history_id", "history_date", "history_type", "id", "state", "known_error_id",
                          "history_change_reason")
                    .order_by("history_date", "history_id")):
            review_history[row.id].append(row)
    category_ids = {row.category_id for rows in history.values() for row in rows if row.category_id}
    categories = dict(Category.objects.filter(pk__in=category_ids).values_list("pk", "name")) if category_ids else {}
    matrix = Matrix(list(HistoricalPriorityRule.objects.order_by("history_date", "history_id")))
    config = clock.config_in_use()
    return [
        Facts(incident=incident, events=events.get(incident.pk, []), history=history.get(incident.pk, []),
              escalations=escalations.get(incident.pk, []), review=reviews.get(incident.pk),
              review_history=review_history.get(reviews[incident.pk].pk, []) if incident.pk in reviews else [],
              matrix=matrix, config=config, now=now, categories=categories)
        for incident in incidents
    ]
