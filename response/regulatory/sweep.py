"""The SLA sweep's step for regulatory clocks (registered on `incidents.sla.steps`).

One indexed query finds the running clocks whose next threshold (50%, 75%, 100% of the window) is
due (`RegulatoryClock.next_threshold_at`, a partial index on running clocks), in bounded batches
locked with `select_for_update(skip_locked=True)`, so that two sweeps at once share the clocks
rather than both taking them. Each threshold handled is a `RegulatoryThreshold` row under a unique
constraint, written in the same transaction as its timeline event and e-mail rows: a sweep run
twice, or a task delivered twice, finds the row and the moved `next_threshold_at`, and does nothing.

Like the SLA engine with `sla_started_at`: a threshold that had passed before the clock was applied
(awareness long before anyone applied it) is recorded, not notified, because the person applying
it has just seen the clock (the event of applying it says how far it has run); and when several
thresholds come due in one sweep (the sweep was down), only the strongest is notified, the others
are recorded as superseded.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction

from core import outbox
from incidents import events, notifications
from incidents.models import EventKind, Team
from incidents.sla.context import Context

from ..models import THRESHOLDS, RegulatoryClock, RegulatoryThreshold
from .services import when, window_text

logger = logging.getLogger(__name__)

MAX_BATCHES = 200
# A clock whose step failed is retried this much later, so that it cannot hold up the rest.
RETRY_AFTER = timedelta(minutes=5)


def due(now: datetime, batch_size: int):
    return (RegulatoryClock.objects.filter(state="running", next_threshold_at__lte=now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("incident__team", "regulation")
            .order_by("next_threshold_at")[:batch_size])


def sweep_step(ctx: Context, batch_size: int) -> int:
    """Handle every due threshold. Returns how many were notified."""
    notified = 0
    security: list[str] | None = None
    for _ in range(MAX_BATCHES):
        with transaction.atomic():
            batch = list(due(ctx.now, batch_size))
            if not batch:
                break
            if security is None and any(clock.incident.security for clock in batch):
                security = security_emails(ctx)
            try:
                with transaction.atomic():
                    notified += process(batch, ctx, security or [])
            except Exception:
                logger.exception("Regulatory sweep batch failed; retrying its clocks one by one")
                notified += one_by_one(batch, ctx, security or [])
    return notified


def one_by_one(batch: list[RegulatoryClock], ctx: Context, security: list[str]) -> int:
    notified = 0
    for clock in batch:
        try:
            with transaction.atomic():
                notified += process([clock], ctx, security)
        except Exception:
            logger.exception("Regulatory sweep failed for clock %s", clock.pk)
            RegulatoryClock.objects.filter(pk=clock.pk).update(next_threshold_at=ctx.now + RETRY_AFTER)
    return notified


def security_emails(ctx: Context) -> list[str]:
    emails: list[str] = []
    for team in Team.objects.filter(security=True).order_by("pk"):
        emails.extend(ctx.team_emails(team))
    return emails


def recipients(clock: RegulatoryClock, ctx: Context, security: list[str]) -> tuple[list[str], str]:
    """The incident managers, the incident's team, and for a security incident the security team."""
    incident = clock.incident
    emails = [*ctx.manager_emails(), *ctx.team_emails(incident.team)]
    told = ["the incident managers"]
    if incident.team is not None:
        told.append(str(incident.team))
    if incident.security:
        emails.extend(security)
        told.append("the security team")
    return list(dict.fromkeys(emails)), ", ".join(told)


def describe(clock: RegulatoryClock, percent: int) -> str:
    regulation = clock.regulation
    whom = regulation.authority or "the authority"
    if percent >= 100:
        return (f"{regulation}: the {window_text(clock.window)} deadline to notify {whom} has passed "
                f"(due {when(clock.due_at)}) and no notice is recorded.")
    return (f"{regulation}: {percent}% of the {window_text(clock.window)} window to notify {whom} has elapsed "
            f"(due {when(clock.due_at)}).")


def process(batch: list[RegulatoryClock], ctx: Context, security: list[str]) -> int:
    """Handle what is due for a locked batch of clocks, in the caller's transaction."""
    now = ctx.now
    handled = set(RegulatoryThreshold.objects.filter(clock__in=batch).values_list("clock_id", "percent"))
    rows: list[RegulatoryThreshold] = []
    event_ids: list[int] = []
    for clock in batch:
        pending = [p for p in THRESHOLDS if (clock.pk, p) not in handled]
        due_now = [p for p in pending if clock.threshold_at(p) <= now]
        strongest = max(due_now, default=None)
        for percent in due_now:
            at = clock.threshold_at(percent)
            row = RegulatoryThreshold(clock=clock, percent=percent, due_at=at, fired_at=now)
            if at < clock.applied_at:
                row.outcome = "Passed before the clock was applied: recorded, not notified."
            elif percent != strongest:
                row.outcome = "Superseded: a later threshold of the same clock was due too."
            else:
                addresses, told = recipients(clock, ctx, security)
                message = f"{describe(clock, percent)} Notified {told}."
                event = events.record(clock.incident, kind=EventKind.REGULATORY, actor=ctx.system,
                                      message=message, notify=False)
                notifications.owe_to(event, addresses)
                event_ids.append(event.pk)
                row.event, row.notified, row.outcome = event, True, message[:300]
            rows.append(row)
        later = [clock.threshold_at(p) for p in pending if p not in due_now]
        clock.next_threshold_at = min(later, default=None)
    RegulatoryThreshold.objects.bulk_create(rows)
    RegulatoryClock.objects.bulk_update(batch, ["next_threshold_at"])
    if event_ids:
        outbox.enqueue_on_commit(notifications.deliver_sla_notices, event_ids)
    return sum(1 for row in rows if row.notified)
