"""The SLA sweep: find the incidents whose clock has something due, and do it exactly once.

Like a healthchecks sweep, it never looks at incidents that have nothing due: one indexed query on
`Incident.next_due_at` (a partial index) takes a bounded batch, locked with
`select_for_update(skip_locked=True)` so that several workers share the work without waiting on
each other. For each incident it writes one `Escalation` row per thing fired, under a unique
constraint, in the same transaction as the thing's effects (timeline event, notification rows,
the incident's new clock). A retried task, a duplicated one or a second worker finds the row and
does nothing; a worker that dies mid-batch rolls the whole batch back, and the next sweep redoes it.

What each fired rule does is `actions`; closing after the grace period is `autoclose`; pages that
nobody acknowledged are passed on by `incidents.oncall.chain`; the deadlines of apps above
incidents (regulatory clocks) by the steps they register (`steps`). Messages leave after commit,
from tasks that take ids (`notifications.deliver_sla_notices`, `oncall.paging.send_page_task`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core import bulk, outbox

from .. import events
from ..models import Escalation, Incident, Notification
from ..notifications import deliver_sla_notices
from ..oncall import chain
from . import actions, autoclose, clock, steps
from .actions import Fire
from .context import Context

logger = logging.getLogger(__name__)

# A failing incident is retried this much later, so that it cannot hold up the rest.
RETRY_AFTER = timedelta(minutes=5)


@dataclass
class SweepResult:
    due: int = 0  # incidents looked at because something was due
    escalations: int = 0  # rules that fired and acted
    superseded: int = 0  # rules recorded but skipped: a stronger threshold was due too
    before_clock: int = 0  # rules recorded but skipped: they passed before the clock was started
    breaches: int = 0
    auto_closed: int = 0
    pages: int = 0
    pages_passed_on: int = 0
    steps_fired: int = 0  # fired by the steps other apps add (`steps`: regulatory clocks)
    batches: int = 0
    errors: int = 0

    def add(self, other: SweepResult) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def plan(incident: Incident, ctx: Context, fired: set[str]) -> tuple[list[Fire], datetime | None]:
    """What is due for this incident now and not yet fired (with the thresholds superseded), and
    when the next thing after those is due."""
    points = clock.checkpoints(incident, ctx.config, fired)
    due = [p for p in points if p.due_at <= ctx.now]
    later = min((p.due_at for p in points if p.due_at > ctx.now), default=None)
    strongest: dict[str, int] = {}
    for p in due:
        if p.kind == "rule" and p.clock:
            strongest[p.clock] = max(strongest.get(p.clock, 0), p.rule.percent or 100)
    fires = []
    for p in sorted(due, key=lambda p: (p.due_at, p.key)):
        fire = Fire(p, incident.pk)
        if p.kind == "rule" and p.clock and (p.rule.percent or 100) < strongest[p.clock]:
            fire.superseded = True
        fires.append(fire)
    return fires, later


def process(batch: list[Incident], ctx: Context, result: SweepResult, fired: dict[int, set[str]]) -> None:
    """Fire what is due for a locked batch of incidents, in the caller's transaction."""
    now = ctx.now
    fires: list[Fire] = []
    follow_ups: list[tuple[Incident, Fire, str]] = []
    auto_close: list[Incident] = []
    restarted: set[int] = set()
    changing: set[int] = set()  # incidents with a change through the services to come
    for incident in batch:
        done = set(fired.get(incident.pk, ()))
        if incident.sla_priority != incident.priority and incident.state in clock.ACTIVE_STATES:
            clock.refresh(incident, now=now, config=ctx.config, fired=done)  # a clock not started yet
            restarted.add(incident.pk)
        # An incident older than its clock (opened before the SLA engine, or imported): its
        # deadlines run from the opening, but what passed before the clock started is recorded,
        # not acted on.
        started = incident.sla_started_at
        result.due += 1
        planned, later = plan(incident, ctx, done)
        for fire in planned:
            point = fire.point
            if point.kind == "auto_close":
                auto_close.append(incident)
                continue
            if point.kind == "breach":
                setattr(incident, f"{point.clock}_breached", True)
                result.breaches += 1
            if point.kind == "rule" and started is not None and point.due_at < started:
                result.before_clock += 1
                fire.superseded = True
                outcome = "Passed before the incident had an SLA clock: recorded, not acted on."
            elif fire.superseded:
                result.superseded += 1
                outcome = "Superseded: a later threshold of the same target was due too."
            else:
                action = actions.notice(fire, incident, ctx, may_settle=incident.pk not in changing)
                fire.noticed = True
                if action:
                    follow_ups.append((incident, fire, action))
                    if action != "page":
                        changing.add(incident.pk)
                if point.kind == "rule":
                    result.escalations += 1
                outcome = fire.message
            fire.outcome = outcome[:300]
            fires.append(fire)
            done.add(point.key)
        fired[incident.pk] = done
        # Firing moves no deadline, so what was not due yet is what remains (an auto-close below
        # leaves the incident with nothing due, or rolls the batch back).
        incident.next_due_at = later

    write_rows(fires, ctx)
    save_clocks(batch, restarted)

    notice_ids = sorted({f.event_id for f in fires if f.recipients})
    if notice_ids:
        outbox.enqueue_on_commit(deliver_sla_notices, notice_ids)

    told: list[Fire] = []
    with clock.using(ctx.config):
        for incident, fire, action in follow_ups:
            outcome = actions.follow_up(incident, fire, action, ctx)
            if outcome:
                fire.outcome = f"{fire.outcome} {outcome}".strip()[:300]
                fire.message = f"{fire.message} {outcome}".strip()
                told.append(fire)
        for incident in auto_close:
            if autoclose.close_if_due(incident, ctx):
                result.auto_closed += 1
    bulk.update_rows(Escalation, [{"pk": f.escalation_id, "outcome": f.outcome} for f in told], ["outcome"])
    events.amend_messages({f.event_id: f.message for f in told})
    result.pages += sum(1 for _, _, action in follow_ups if action == "page")


def write_rows(fires: list[Fire], ctx: Context) -> None:
    """The batch's timeline events, escalation rows and owed notifications, a few statements each.

    Thousands of rows per batch, and nothing to them but their columns: written from plain rows
    (`core.bulk`), not model instances, which would cost the sweep most of its time.
    """
    noticed = [f for f in fires if f.noticed]
    written = timezone.now()  # the timeline shows when the sweep wrote it, like any other entry
    event_ids = events.record_rows([
        {"incident_id": f.incident_id, "kind": f.kind, "actor_id": ctx.system.pk, "created_at": written,
         "message": f.message, "public": False}
        for f in noticed
    ])
    for fire, pk in zip(noticed, event_ids, strict=True):
        fire.event_id = pk
    escalation_ids = bulk.insert_rows(Escalation, [
        {"incident_id": f.incident_id, "rule_id": f.point.rule.pk if f.point.rule else None, "key": f.point.key,
         "fired_at": ctx.now, "due_at": f.point.due_at, "superseded": f.superseded, "outcome": f.outcome,
         "event_id": f.event_id}
        for f in fires
    ], returning=True)
    for fire, pk in zip(fires, escalation_ids, strict=True):
        fire.escalation_id = pk
    bulk.insert_rows(Notification, [
        {"event_id": f.event_id, "channel": "email", "recipient": address}
        for f in noticed for address in dict.fromkeys(f.recipients)
    ])


def save_clocks(batch: list[Incident], restarted: set[int]) -> None:
    """Write the batch's new due times and breach markers.

    Not `save()`: these are the clock's own bookkeeping, on the timeline as events, and must not
    bump the version that open edit forms carry.
    """
    for incident in batch:
        if incident.pk in restarted:
            Incident.objects.filter(pk=incident.pk).update(
                **{name: getattr(incident, name) for name in clock.CLOCK_FIELDS}
            )
    bulk.update_rows(Incident, [
        {"pk": i.pk, "next_due_at": i.next_due_at, "response_breached": i.response_breached,
         "resolution_breached": i.resolution_breached}
        for i in batch if i.pk not in restarted
    ], ["next_due_at", "response_breached", "resolution_breached"])


# --- the sweep ---------------------------------------------------------------------------------
def due_batch(now: datetime, batch_size: int):
    return (
        Incident.objects.filter(next_due_at__lte=now)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("team", "assignee")
        .order_by("next_due_at")[:batch_size]
    )


def sweep(now: datetime | None = None, batch_size: int = 500, max_batches: int = 200) -> SweepResult:
    """Fire everything that is due. Safe to run on several workers at once, and to run again."""
    now = now or timezone.now()
    ctx = Context.start(now)
    result = SweepResult()
    for _ in range(max_batches):
        with transaction.atomic():
            batch = list(due_batch(now, batch_size))
            if not batch:
                break
            result.batches += 1
            fired = clock.fired_keys([i.pk for i in batch])
            done = SweepResult()
            try:
                with transaction.atomic():
                    process(batch, ctx, done, fired)
                result.add(done)
            except Exception:
                # One bad incident must not block the others: go one by one, and put the failing
                # ones back a little later.
                logger.exception("SLA sweep batch failed; retrying its incidents one by one")
                one_by_one(batch, ctx, result)
    result.pages_passed_on += chain.pass_on_pages(ctx, batch_size)
    fired, failed = steps.run(ctx, batch_size)
    result.steps_fired += fired
    result.errors += failed
    return result


def one_by_one(batch: list[Incident], ctx: Context, result: SweepResult) -> None:
    for incident in batch:
        fresh = Incident.objects.select_related("team", "assignee").get(pk=incident.pk)
        done = SweepResult()  # counted only if it commits
        try:
            with transaction.atomic():
                process([fresh], ctx, done, clock.fired_keys([fresh.pk]))
            result.add(done)
        except Exception:
            logger.exception("SLA sweep failed for incident %s", incident.pk)
            result.errors += 1
            Incident.objects.filter(pk=incident.pk).update(next_due_at=ctx.now + RETRY_AFTER)
