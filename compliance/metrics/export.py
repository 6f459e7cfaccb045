"""The auditors' CSV: the incidents opened in a period that the viewer sees, with their SLA figures
and their SOP conformance, streamed a chunk at a time.

A chunk of incidents is read (`iterator(chunk_size)`, with team, category and service joined), the
conformance of the whole chunk is derived at once (`compliance.conformance.checklists`), and its
rows are written out before the next chunk is read: the queries grow with the number of chunks,
not of incidents, and memory holds one chunk. Exercises are left out, as in the figures.

A cell that a spreadsheet would read as a formula (starting with = + - @, or a tab or carriage
return that hides one) gets a leading apostrophe: summaries and names come from outside.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from itertools import islice

from django.db.models import QuerySet
from django.utils import timezone

from compliance import conformance
from incidents.models import Incident

from . import figures
from .figures import Period

CHUNK = 500

HEADER = [
    "reference", "summary", "priority", "team", "category", "service", "state", "opened at",
    "responded at", "resolved at", "closed at", "respond by", "resolve by", "response met",
    "resolution met", "time to respond (s)", "time to resolve (s)", "time on hold (s)",
    "time to resolve on the clock (s)", "response breached", "resolution breached",
    "conformance met", "conformance applicable", "conformance missed",
]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def incidents(user, period: Period) -> QuerySet[Incident]:
    """What the export lists: the incidents opened in the period that the user sees, oldest first."""
    return (Incident.objects.seen_internally_by(user)
            .filter(figures.counted(), figures.opened_in(period))
            .select_related("team", "category", "service")
            .order_by("opened_at", "pk"))


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).isoformat() if value else ""


def _seconds(value: timedelta | None) -> str:
    return "" if value is None else str(int(value.total_seconds()))


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def row(incident: Incident, checklist: conformance.Checklist | None) -> list[str]:
    met, applicable = checklist.score if checklist else (None, None)
    missed = "; ".join(item.label for item in checklist.missed) if checklist else ""
    return [
        incident.reference,
        neutralised(incident.summary),
        incident.get_priority_display(),
        neutralised(incident.team.name) if incident.team else "",
        neutralised(incident.category.name) if incident.category else "",
        neutralised(incident.service.name) if incident.service else "",
        incident.get_state_display(),
        _when(incident.opened_at),
        _when(incident.responded_at),
        _when(incident.resolved_at),
        _when(incident.closed_at),
        _when(incident.respond_by),
        _when(incident.resolve_by),
        _yes_no(figures.response_met(incident)),
        _yes_no(figures.resolution_met(incident)),
        _seconds(figures.time_to_respond(incident)),
        _seconds(figures.time_to_resolve(incident)),
        str(incident.paused_seconds),
        _seconds(figures.time_to_resolve_on_clock(incident)),
        _yes_no(incident.response_breached),
        _yes_no(incident.resolution_breached),
        "" if met is None else str(met),
        "" if applicable is None else str(applicable),
        neutralised(missed),
    ]


def _chunks(items: Iterable[Incident], size: int) -> Iterator[list[Incident]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def rows(user, period: Period, *, chunk_size: int = CHUNK) -> Iterator[list[str]]:
    """The header, then one row per incident, a chunk at a time."""
    yield HEADER
    for chunk in _chunks(incidents(user, period).iterator(chunk_size=chunk_size), chunk_size):
        lists = conformance.checklists(chunk)
        for incident in chunk:
            yield row(incident, lists.get(incident.pk))


class _Line:
    """A file-like target for `csv.writer` that hands back each line instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(lines: Iterable[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    for line in lines:
        yield writer.writerow(line)


def filename(period: Period) -> str:
    return f"incidents-sla-{period.first.isoformat()}-{period.last.isoformat()}.csv"
