"""The review's timeline, drafted from the incident's own events, and the figures derived from them.

Drafting copies each `IncidentEvent` into a `TimelineEntry` once (a unique constraint on the source
event); people then edit, strike and add entries, and a redraft only adds what happened since.

Which events become entries:
- opened, every transition (triage, claim, start, route, hold, resume, resolve, close, reopen,
  cancel), assignments, reclassifications and public comments (updates to the reporter);
- not internal work notes or attachments: the review is written from what was done and said;
- any other kind (escalations, pages, applied workarounds that other parts add later) generically,
  as "<kind>: <message>", so a new kind of event shows up without a change here.

Figures (all measured from `opened_at`, wall-clock, including time on hold):
- time to acknowledge: until `responded_at`, the first triage/claim/start/route/resolve or public reply;
- time to workaround: until the first event that applied a workaround — an event of a kind in
  `WORKAROUND_EVENT_KINDS`, or the resolve transition when the incident was resolved with the
  resolution code "workaround applied" or "resolved by known error" (the service was restored, the
  cause not yet removed); None when no workaround was recorded;
- time to resolve: until `resolved_at` (the last resolution, if the incident was reopened);
- SLA: "breached" when the incident's clock marked the resolution breached or it was resolved after
  `resolve_by`, "met" when resolved by then, "unknown" when no SLA clock ran on it;
- affected: the incident plus its child incidents, and their distinct reporters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Q

from incidents.models import EventKind, Incident, IncidentEvent, ResolutionCode
from incidents.workflow import transition_done

if TYPE_CHECKING:
    from .models import PostIncidentReview

# Event kinds that mean "a workaround was applied" (written by the known-error link and by hand).
WORKAROUND_EVENT_KINDS = frozenset({"workaround_applied", "known_error_linked"})
WORKAROUND_RESOLUTIONS = frozenset({ResolutionCode.WORKAROUND, ResolutionCode.KNOWN_ERROR})
SKIPPED_KINDS = frozenset({EventKind.ATTACHMENT})
KIND_LABELS = dict(EventKind.choices)



def _with_message(head: str, message: str) -> str:
    message = (message or "").strip()
    return f"{head}: {message}" if message else head


def include(event: IncidentEvent) -> bool:
    if event.kind in SKIPPED_KINDS:
        return False
    return not (event.kind == EventKind.COMMENT and not event.public)


def entry_text(event: IncidentEvent) -> str:
    """The sentence a timeline entry starts with for one incident event."""
    kind = event.kind
    if kind == EventKind.CREATED:
        return event.message or "Opened"
    if kind == EventKind.TRANSITION:
        head = transition_done(event.transition)
        return _with_message(head, event.message)
    if kind == EventKind.ASSIGNMENT:
        return event.message or "Assignment changed"
    if kind == EventKind.CLASSIFICATION:
        return _with_message("Reclassified", event.message)
    if kind == EventKind.COMMENT:
        by_reporter = event.actor_id is not None and event.actor_id == event.incident.reporter_id
        return _with_message("Reporter replied" if by_reporter else "Public update", event.message)
    # Any other kind (escalations, pages, SLA warnings, kinds added later): its label and its message.
    label = KIND_LABELS.get(kind) or str(kind).replace("_", " ").capitalize()
    return _with_message(label, event.message)


def draft(review: PostIncidentReview) -> int:
    """Add an entry for each of the incident's events not yet in the timeline. Returns how many."""
    from .models import TimelineEntry

    already = TimelineEntry.objects.filter(review=review, source_event__isnull=False).values("source_event_id")
    events = (
        IncidentEvent.objects.filter(incident_id=review.incident_id)
        .exclude(pk__in=already)
        .select_related("incident")
        .order_by("created_at", "pk")
    )
    entries = [
        TimelineEntry(review=review, at=e.created_at, actor_id=e.actor_id, text=entry_text(e), kind=e.kind,
                      source_event=e)
        for e in events
        if include(e)
    ]
    # ignore_conflicts: two concurrent drafts may both pick up an event; the constraint keeps one.
    TimelineEntry.objects.bulk_create(entries, ignore_conflicts=True)
    return len(entries)


@dataclass(frozen=True)
class Figures:
    opened_at: datetime
    time_to_acknowledge: timedelta | None
    time_to_workaround: timedelta | None
    time_to_resolve: timedelta | None
    sla: str  # "met", "breached" or "unknown"
    affected_incidents: int
    affected_users: int


def _workaround_at(incident: Incident) -> datetime | None:
    condition = Q(kind__in=WORKAROUND_EVENT_KINDS)
    if incident.resolution_code in WORKAROUND_RESOLUTIONS:
        condition |= Q(kind=EventKind.TRANSITION, transition="resolve")
    return (
        IncidentEvent.objects.filter(condition, incident_id=incident.pk)
        .order_by("created_at", "pk")
        .values_list("created_at", flat=True)
        .first()
    )


def sla_outcome(incident: Incident) -> str:
    """"met", "breached" or "unknown", from the incident's SLA clock: its breach marker, or its
    resolution against `resolve_by`. Read by name, so that an incident without a clock (no policy
    applied) answers "unknown" rather than failing."""
    if getattr(incident, "resolution_breached", False) is True:
        return "breached"
    resolve_by = getattr(incident, "resolve_by", None)
    if resolve_by is None or incident.resolved_at is None:
        return "unknown"
    return "met" if incident.resolved_at <= resolve_by else "breached"


def _since(start: datetime, end: datetime | None) -> timedelta | None:
    return end - start if end is not None else None


def figures(review: PostIncidentReview) -> Figures:
    incident = review.incident
    affected = Incident.objects.filter(Q(pk=incident.pk) | Q(parent_id=incident.pk)).aggregate(
        incidents=Count("pk"), users=Count("reporter_id", distinct=True)
    )
    return Figures(
        opened_at=incident.opened_at,
        time_to_acknowledge=_since(incident.opened_at, incident.responded_at),
        time_to_workaround=_since(incident.opened_at, _workaround_at(incident)),
        time_to_resolve=_since(incident.opened_at, incident.resolved_at),
        sla=sla_outcome(incident),
        affected_incidents=affected["incidents"],
        affected_users=affected["users"],
    )


def format_duration(value: timedelta | None) -> str:
    """"2 h 05 min", "3 d 4 h", "45 s"; an em dash for no value."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"
