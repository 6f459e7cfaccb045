"""Applying a regulatory clock to an incident, and stopping it: by recording the notice sent, or by
deciding that none is owed (with the reason). Each locks its row, saves once, and puts one
`EventKind.REGULATORY` event on the incident's timeline."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import WorkflowError
from incidents import events, roles
from incidents.models import EventKind, Incident

from ..models import THRESHOLDS, ClockState, Regulation, RegulatoryClock

# Awareness may come before the incident was logged (a breach found, then reported), but not
# by more than this: an older date is much more likely a typo than a fact.
AWARE_BEFORE_OPENING = timedelta(days=30)


class ClockRefused(WorkflowError):
    """A refused clock action; `field` names the form field the sentence belongs to, if one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def may_work(user, incident: Incident) -> bool:
    """Incident managers, and whoever works the incident and reads its internal record (for a
    security incident: its team and the security team, as the visibility rule says)."""
    return roles.is_incident_manager(user) or (roles.can_work_on(user, incident)
                                               and roles.sees_internal(user, incident))


def when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%a %d %b %Y %H:%M %Z") if moment else "-"


def window_text(window: timedelta) -> str:
    """"72-hour", "60-day": how the regulations name their windows (hours up to a week)."""
    if window >= timedelta(days=7) and window % timedelta(days=1) == timedelta(0):
        return f"{window.days}-day"
    hours = window / timedelta(hours=1)
    return f"{hours:g}-hour"


def first_threshold(aware_at: datetime, window: timedelta) -> datetime:
    return aware_at + window * THRESHOLDS[0] / 100


def _refuse_unless_may_work(user, incident: Incident, doing: str) -> None:
    if not may_work(user, incident):
        raise ClockRefused(f"Only an incident manager or someone working on {incident.reference} may {doing}.")


def apply_clock(*, incident: Incident, user, regulation: Regulation, aware_at: datetime) -> RegulatoryClock:
    """Start `regulation`'s clock on the incident from `aware_at`, when the organisation became
    aware. The deadline is `aware_at` plus the regulation's window in calendar time."""
    now = timezone.now()
    _refuse_unless_may_work(user, incident, "apply a regulatory clock")
    if not regulation.active:
        raise ClockRefused(f"{regulation} is not active: an administrator retired it.", "regulation")
    if aware_at is None:
        raise ClockRefused("Say when the organisation became aware of the breach.", "aware_at")
    if aware_at > now:
        raise ClockRefused(f"The awareness time {when(aware_at)} is in the future: the clock runs from "
                           "when you became aware, which has happened already.", "aware_at")
    earliest = incident.opened_at - AWARE_BEFORE_OPENING
    if aware_at < earliest:
        raise ClockRefused(f"The awareness time {when(aware_at)} is more than {AWARE_BEFORE_OPENING.days} days "
                           f"before {incident.reference} was opened ({when(incident.opened_at)}): check the date.",
                           "aware_at")
    with transaction.atomic():
        # The incident's row serialises two people applying the same regulation at once.
        locked = Incident.objects.select_for_update(of=("self",)).get(pk=incident.pk)
        if RegulatoryClock.objects.filter(incident=locked, regulation=regulation).exists():
            raise ClockRefused(f"{locked.reference} already has a {regulation} clock.", "regulation")
        clock = RegulatoryClock(incident=locked, regulation=regulation, aware_at=aware_at, window=regulation.window,
                                due_at=aware_at + regulation.window, applied_by=user, applied_at=now,
                                next_threshold_at=first_threshold(aware_at, regulation.window))
        try:
            with transaction.atomic():
                clock.save()
        except IntegrityError:
            raise ClockRefused(f"{locked.reference} already has a {regulation} clock.", "regulation") from None
        message = (f"{regulation} clock applied: aware since {when(aware_at)}, the {window_text(clock.window)} "
                   f"window to notify {regulation.authority or 'the authority'} ends {when(clock.due_at)}.")
        if clock.due_at <= now:
            message += " The deadline has already passed."
        elif clock.elapsed_percent(now) >= THRESHOLDS[0]:
            message += f" {clock.elapsed_percent(now)}% of it had elapsed already."
        events.record(locked, kind=EventKind.REGULATORY, actor=user, message=message)
    return clock


def _locked_running(clock: RegulatoryClock | int, user, doing: str) -> RegulatoryClock:
    pk = clock.pk if isinstance(clock, RegulatoryClock) else clock
    locked = (RegulatoryClock.objects.select_for_update(of=("self",))
              .select_related("incident", "regulation", "stopped_by").get(pk=pk))
    _refuse_unless_may_work(user, locked.incident, doing)
    if not locked.running:
        how = ("the notice was recorded" if locked.state == ClockState.NOTIFIED
               else "it was decided not notifiable")
        raise ClockRefused(f"The {locked.regulation} clock on {locked.incident.reference} is already stopped: "
                           f"{how} {when(locked.stopped_at)} by {locked.stopped_by}.")
    return locked


def _stop(locked: RegulatoryClock, user, state: str, now: datetime) -> None:
    locked.state = state
    locked.stopped_by = user
    locked.stopped_at = now
    locked.next_threshold_at = None
    locked.save()


def record_notice(*, clock: RegulatoryClock | int, user, notified_to: str, notified_at: datetime,
                  reference: str) -> RegulatoryClock:
    """The notice was sent (to whom, when, and its reference or what was sent): the clock stops."""
    now = timezone.now()
    notified_to, reference = (notified_to or "").strip(), (reference or "").strip()
    if not notified_to:
        raise ClockRefused("Say whom the notice was sent to.", "notified_to")
    if not reference:
        raise ClockRefused("Give the notice's reference or what was sent, for the record.", "reference")
    if notified_at is None:
        raise ClockRefused("Say when the notice was sent.", "notified_at")
    if notified_at > now:
        raise ClockRefused(f"The notice cannot have been sent in the future ({when(notified_at)}).", "notified_at")
    with transaction.atomic():
        locked = _locked_running(clock, user, "record a regulatory notice")
        if notified_at < locked.aware_at:
            raise ClockRefused(f"The notice cannot have been sent before the awareness time "
                               f"({when(locked.aware_at)}).", "notified_at")
        locked.notified_to = notified_to[:300]
        locked.notified_at = notified_at
        locked.notice_reference = reference
        _stop(locked, user, ClockState.NOTIFIED, now)
        late = " after the deadline" if notified_at > locked.due_at else ""
        events.record(locked.incident, kind=EventKind.REGULATORY, actor=user, message=(
            f"{locked.regulation} notice sent to {notified_to} at {when(notified_at)}{late} "
            f"(due {when(locked.due_at)}), recorded by {user}. Reference: {reference}. The clock is stopped."))
    return locked


def decide_not_notifiable(*, clock: RegulatoryClock | int, user, reason: str) -> RegulatoryClock:
    """No notice is owed under this regulation (no personal data involved, say): the reason is
    required and kept; the clock stops."""
    now = timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ClockRefused("Say why no notice is owed: the reason is kept on the record.", "reason")
    with transaction.atomic():
        locked = _locked_running(clock, user, "decide a regulatory clock not notifiable")
        locked.not_notifiable_reason = reason
        _stop(locked, user, ClockState.NOT_NOTIFIABLE, now)
        events.record(locked.incident, kind=EventKind.REGULATORY, actor=user, message=(
            f"{locked.regulation}: decided not notifiable by {user}. Reason: {reason} The clock is stopped."))
    return locked
