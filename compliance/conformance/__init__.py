"""SOP conformance, proven from history: for each incident, a checklist of the SOP's steps, each met,
missed or not applicable with the event or history row that proves it.

    checklist(incident) -> Checklist
    checklists(incidents) -> {incident id: Checklist}, in a number of queries that does not grow
                             with the number of incidents (for reports, exports and drill scores)

The rules live in `rules.py`, one function per step; `facts.py` loads what they read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from incidents.models import Incident

from . import facts, rules
from .checklist import MET, MISSED, NA, STATUS_LABELS, Checklist, Item

__all__ = ["LABELS", "MET", "MISSED", "NA", "STATUS_LABELS", "Checklist", "Item", "checklist", "checklists"]

# How many incidents are read together: the IN lists stay well inside every database's limits.
BATCH = 500

LABELS: dict[str, str] = rules.LABELS  # step key -> label, in the SOP's order


def _evaluate(fact: facts.Facts) -> Checklist:
    items = [rule(fact) for rule in rules.RULES]
    return Checklist(incident_id=fact.incident.pk, reference=fact.incident.reference, items=items)


def checklists(incidents: Iterable[Incident], *, now: datetime | None = None) -> dict[int, Checklist]:
    """The checklist of every incident given, keyed by id: a constant number of queries per batch of
    `BATCH` incidents (events, history, escalations, reviews are read for the whole batch)."""
    incidents = list(incidents)
    result: dict[int, Checklist] = {}
    for start in range(0, len(incidents), BATCH):
        for fact in facts.load(incidents[start:start + BATCH], now=now):
            result[fact.incident.pk] = _evaluate(fact)
    return result


def checklist(incident: Incident, *, now: datetime | None = None) -> Checklist:
    """One incident's checklist."""
    return checklists([incident], now=now)[incident.pk]

