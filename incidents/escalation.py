"""The SLA sweep: find the incidents whose clock has something due, and do it exactly once.

Like a healthchecks sweep, it never looks at incidents that have nothing due: one indexed query on
`Incident.next_due_at` (a partial index) takes a bounded batch, locked with
`select_for_update(skip_locked=True)` so that several workers share the work without waiting on
each other. For each incident it writes one `Escalation` row per thing fired, under a unique
constraint, in the same transaction as the thing's effects (timeline event, notification rows,
the incident's new clock). A retried task, a duplicated one or a second worker finds the row and
does nothing; a worker that dies mid-batch rolls the whole batch back, and the next sweep redoes it.

Messages leave after commit, from tasks that take ids (`deliver_notices`, `paging.send_page`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from . import clock, oncall, roles, services
from .clock import Checkpoint, SlaConfig
from .models import (
    Action,
    Escalation,
    EventKind,
    Incident,
    IncidentEvent,
    Notification,
    Page,
    Rotation,
    Team,
    Trigger,
)
from .workflow import OPEN_STATES

logger = logging.getLogger(__name__)

# A failing incident is retried this much later, so that it cannot hold up the rest.
RETRY_AFTER = timedelta(minutes=5)
LEVELS = {"low": "medium", "medium": "high"}


@dataclass
class SweepResult:
    due: int = 0  # incidents looked at because something was due
    escalations: int = 0  # rules that fired and acted
    superseded: int = 0  # rules recorded but skipped: a stronger threshold was due too
    breaches: int = 0
    auto_closed: int = 0
    pages: int = 0
    pages_passed_on: int = 0
    batches: int = 0
    errors: int = 0

    def add(self, other: SweepResult) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Context:
    """What a sweep looks up once, however many incidents it handles."""

    now: datetime
    config: SlaConfig
    _system: object = None

    @classmethod
    def start(cls, now: datetime) -> Context:
        config = SlaConfig()
        config.preload_calendars()
        ctx = cls(now=now, config=config)
        # Created (once ever) outside any savepoint, so that a rolled-back action cannot undo it.
        ctx._system = services.system_user()
        return ctx
    _managers: list[str] | None = None
    _team_emails: dict[int, list[str]] = field(default_factory=dict)
    _rotations: dict[int, Rotation | None] = field(default_factory=dict)

    @property
    def system(self):
        if self._system is None:
            self._system = services.system_user()
        return self._system

    def manager_emails(self) -> list[str]:
        if self._managers is None:
            self._managers = sorted(
                get_user_model().objects.filter(groups__name=roles.INCIDENT_MANAGER, is_active=True)
                .exclude(email="").values_list("email", flat=True).distinct()
            )
        return self._managers

    def team_emails(self, team: Team | None) -> list[str]:
        if team is None:
            return []
        if team.pk not in self._team_emails:
            if team.email:
                self._team_emails[team.pk] = [team.email]
            else:
                self._team_emails[team.pk] = sorted(
                    team.members.filter(is_active=True).exclude(email="").values_list("email", flat=True)
                )
        return self._team_emails[team.pk]

    def rotation(self, team_id: int | None) -> Rotation | None:
        if team_id is None:
            return None
        if team_id not in self._rotations:
            self._rotations[team_id] = Rotation.objects.filter(team_id=team_id).first()
        return self._rotations[team_id]


def _when(moment: datetime | None) -> str:
    # strftime, not date_format: this runs for every escalation of a sweep, and date_format's
    # translated names cost a millisecond each.
    return timezone.localtime(moment).strftime("%a %d %b %H:%M %Z") if moment else "-"


# --- what to do for one incident -----------------------------------------------------------------
@dataclass
class _Fire:
    point: Checkpoint
    superseded: bool = False
    kind: str = EventKind.ESCALATION
    message: str = ""
    recipients: list[str] = field(default_factory=list)
    event: IncidentEvent | None = None
    escalation: Escalation | None = None


def _describe(point: Checkpoint, incident: Incident) -> str:
    rule = point.rule
    if point.kind == "breach":
        deadline = incident.respond_by if point.clock == "response" else incident.resolve_by
        return f"The {point.clock} target was breached ({point.clock} due {_when(deadline)})."
    if rule.trigger in (Trigger.RESPONSE_ELAPSED, Trigger.RESOLUTION_ELAPSED):
        deadline = incident.respond_by if point.clock == "response" else incident.resolve_by
        if (rule.percent or 100) >= 100:
            return f"{rule.name}: the {point.clock} target has passed (due {_when(deadline)})."
        return f"{rule.name}: {rule.percent}% of the {point.clock} target has elapsed (due {_when(deadline)})."
    if rule.trigger == Trigger.UNASSIGNED:
        return f"{rule.name}: unassigned since {_when(incident.unassigned_since)}."
    return f"{rule.name}: a stakeholder update was due at {_when(incident.update_due_at)}."


def _plan(incident: Incident, ctx: Context, fired: set[str]) -> tuple[list[_Fire], datetime | None]:
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
        fire = _Fire(p)
        if p.kind == "rule" and p.clock and (p.rule.percent or 100) < strongest[p.clock]:
            fire.superseded = True
        fires.append(fire)
    return fires, later


def _notice(fire: _Fire, incident: Incident, ctx: Context) -> str | None:
    """Fill in the event kind, recipients and outcome of a notify/page action. Returns the name of
    an action that needs a service call afterwards, if any."""
    point = fire.point
    text = _describe(point, incident)
    if point.kind == "breach":
        fire.kind = EventKind.SLA_BREACH
        fire.message = text
        return None
    rule = point.rule
    warning = rule.trigger in (Trigger.RESPONSE_ELAPSED, Trigger.RESOLUTION_ELAPSED) and (rule.percent or 100) < 100
    fire.kind = EventKind.SLA_WARNING if warning else EventKind.ESCALATION
    action = rule.action
    if action == Action.NOTIFY_ASSIGNEE:
        if incident.assignee is not None and incident.assignee.email:
            fire.recipients = [incident.assignee.email]
            fire.message = f"{text} Notified {incident.assignee}."
        else:
            fire.recipients = ctx.team_emails(incident.team)
            fire.message = f"{text} No assignee: notified {incident.team or 'the incident managers'}."
            fire.recipients = fire.recipients or ctx.manager_emails()
    elif action == Action.NOTIFY_TEAM:
        fire.recipients = ctx.team_emails(incident.team) or ctx.manager_emails()
        fire.message = f"{text} Notified {incident.team or 'the incident managers (no team)'}."
    elif action == Action.NOTIFY_MANAGER:
        fire.recipients = ctx.manager_emails()
        fire.message = f"{text} Notified the incident managers."
    elif action == Action.PAGE_ON_CALL:
        fire.kind = EventKind.PAGE
        rotation = ctx.rotation(incident.team_id)
        person = oncall.in_line(rotation, ctx.now)[:1] if rotation else []
        if person:
            fire.message = f"{text} Paged {person[0]}, on call for {incident.team}."
            return "page"
        fire.recipients = ctx.manager_emails()
        fire.message = f"{text} Nobody is on call for {incident.team or 'an unassigned team'}: " \
                       "notified the incident managers."
    else:
        fire.message = text
        return action
    return None


def _process(batch: list[Incident], ctx: Context, result: SweepResult, fired: dict[int, set[str]]) -> None:
    """Fire what is due for a locked batch of incidents, in the caller's transaction."""
    now = ctx.now
    fires: list[_Fire] = []
    follow_ups: list[tuple[Incident, _Fire, str]] = []
    auto_close: list[Incident] = []
    restarted: set[int] = set()
    for incident in batch:
        done = set(fired.get(incident.pk, ()))
        if incident.sla_priority != incident.priority and incident.state in clock.ACTIVE_STATES:
            clock.refresh(incident, now=now, config=ctx.config, fired=done)  # a clock not started yet
            restarted.add(incident.pk)
        result.due += 1
        planned, later = _plan(incident, ctx, done)
        for fire in planned:
            point = fire.point
            if point.kind == "auto_close":
                auto_close.append(incident)
                continue
            if point.kind == "breach":
                setattr(incident, f"{point.clock}_breached", True)
                result.breaches += 1
            if fire.superseded:
                result.superseded += 1
                outcome = "Superseded: a later threshold of the same target was due too."
            else:
                action = _notice(fire, incident, ctx)
                fire.event = IncidentEvent(incident=incident, kind=fire.kind, actor=ctx.system,
                                           message=fire.message, public=False)
                if action:
                    follow_ups.append((incident, fire, action))
                if point.kind == "rule":
                    result.escalations += 1
                outcome = fire.message
            fire.escalation = Escalation(
                incident=incident, rule=point.rule, key=point.key, fired_at=now, due_at=point.due_at,
                superseded=fire.superseded, outcome=outcome[:300],
            )
            fires.append(fire)
            done.add(point.key)
        fired[incident.pk] = done
        # Firing moves no deadline, so what was not due yet is what remains (an auto-close below
        # leaves the incident with nothing due, or rolls the batch back).
        incident.next_due_at = later

    IncidentEvent.objects.bulk_create([f.event for f in fires if f.event is not None])
    for fire in fires:
        fire.escalation.event = fire.event
    Escalation.objects.bulk_create([f.escalation for f in fires])
    Notification.objects.bulk_create(
        [Notification(event=f.event, channel="email", recipient=address) for f in fires for address in f.recipients],
        ignore_conflicts=True,
    )
    _save_clocks(batch, restarted)

    notice_ids = sorted({f.event.pk for f in fires if f.recipients})
    if notice_ids:
        from .tasks import deliver_sla_notices

        transaction.on_commit(lambda: deliver_sla_notices.delay(notice_ids))

    for incident, fire, action in follow_ups:
        _follow_up(incident, fire, action, ctx)
    for incident in auto_close:
        if _auto_close(incident, ctx):
            result.auto_closed += 1
    result.pages += sum(1 for _, _, action in follow_ups if action == "page")


def _save_clocks(batch: list[Incident], restarted: set[int]) -> None:
    """Write the batch's new due times and breach markers in one statement.

    Not `bulk_update`: its CASE expressions cost seconds of Python for a batch of hundreds. Not
    `save()` either: these are the clock's own bookkeeping, on the timeline as events, and must not
    bump the version that open edit forms carry.
    """
    for incident in batch:
        if incident.pk in restarted:
            Incident.objects.filter(pk=incident.pk).update(
                **{name: getattr(incident, name) for name in clock.CLOCK_FIELDS}
            )
    rows = [i for i in batch if i.pk not in restarted]
    if not rows:
        return
    ops = connection.ops
    table = connection.ops.quote_name(Incident._meta.db_table)
    placeholders = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    params: list = []
    for i in rows:
        params += [i.pk, ops.adapt_datetimefield_value(i.next_due_at), i.response_breached, i.resolution_breached]
    due = "CAST(v.due AS timestamp with time zone)" if connection.vendor == "postgresql" else "v.due"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH v(id, due, response_breached, resolution_breached) AS (VALUES {placeholders}) "
            f"UPDATE {table} SET next_due_at = {due}, response_breached = v.response_breached, "
            f"resolution_breached = v.resolution_breached FROM v WHERE {table}.id = v.id",
            params,
        )


def _follow_up(incident: Incident, fire: _Fire, action: str, ctx: Context) -> None:
    """Actions that change the incident go through the services, like a person's would."""
    escalation = fire.escalation
    try:
        with transaction.atomic():
            if action == "page":
                rotation = ctx.rotation(incident.team_id)
                person = oncall.in_line(rotation, ctx.now)[0]
                page_person(incident, escalation, step=0, user=person, rotation=rotation, now=ctx.now,
                            event=fire.event)
                return
            outcome = _change_incident(incident, escalation.rule, action, ctx)
    except services.WorkflowError as refused:
        outcome = f"Not done: {refused.message}"
    Escalation.objects.filter(pk=escalation.pk).update(outcome=f"{escalation.outcome} {outcome}".strip()[:300])
    IncidentEvent.objects.filter(pk=fire.event.pk).update(message=f"{fire.message} {outcome}".strip())


def _change_incident(incident: Incident, rule, action: str, ctx: Context) -> str:
    fresh = Incident.objects.select_related("team").get(pk=incident.pk)
    if action == Action.ROUTE_UP:
        target = rule.target_team
        if target is None and fresh.team_id is not None:
            path = getattr(fresh.team, "escalation_path", None) if fresh.team_id else None
            target = path.escalates_to if path is not None else None
        if target is None:
            return f"No tier 2/3 team to route to from {fresh.team or 'no team'} (set an escalation path)."
        if target.pk == fresh.team_id:
            return f"Already with {target}."
        services.incident_route(incident=fresh, user=ctx.system, team=target, reason=f"Escalated: {rule.name}")
        return f"Routed to {target}."
    if action == Action.RAISE_PRIORITY:
        if fresh.priority <= 1:
            return "Already P1."
        before = fresh.priority
        # Priority comes from the matrix: raise urgency, then impact, until it moves.
        for name in ("urgency", "impact", "urgency", "impact"):
            value = getattr(fresh, name)
            if value in LEVELS:
                setattr(fresh, name, LEVELS[value])
                fresh.apply_classification()
                if fresh.priority < before:
                    break
        if fresh.priority >= before:
            return "The priority matrix gives no higher priority."
        services.incident_save_edits(incident=fresh, user=ctx.system, changed={"impact", "urgency"})
        return f"Priority raised from P{before} to P{fresh.priority}."
    if action == Action.MARK_MAJOR:
        if fresh.is_major:
            return "Already a major incident."
        fresh.is_major = True
        services.incident_save_edits(incident=fresh, user=ctx.system, changed={"is_major"})
        return "Marked as a major incident."
    return f"Unknown action {action}."


def page_person(incident: Incident, escalation: Escalation, *, step: int, user, rotation: Rotation | None,
                now: datetime, event: IncidentEvent | None = None) -> Page:
    """Write the page row (once per chain step) and send it after commit."""
    ack_minutes = rotation.ack_minutes if rotation is not None else 10
    if event is None:
        event = IncidentEvent.objects.create(
            incident=incident, kind=EventKind.PAGE, actor=services.system_user(),
            message=f"Paged {user}, next in line for {incident.team}: the previous page was not acknowledged.",
        )
    page = Page.objects.create(
        incident=incident, escalation=escalation, step=step, user=user, created_at=now,
        escalate_at=now + timedelta(minutes=ack_minutes), event=event,
    )
    from .tasks import send_page

    page_id = page.pk
    transaction.on_commit(lambda: send_page.delay(page_id))
    return page


def _auto_close(incident: Incident, ctx: Context) -> bool:
    """Close a resolved incident whose grace period is over, through the close transition."""
    days = clock.auto_close_business_days()
    try:
        with transaction.atomic():
            services.transition(incident=incident.pk, user=ctx.system, name="close",
                                reason=f"No reply within {days} business days of the resolution")
            services.record_event(incident, kind=EventKind.AUTO_CLOSE, actor=ctx.system, public=True, notify=False,
                                  message=f"Closed automatically: the reporter did not reopen it within {days} "
                                          "business days.")
        return True
    except services.WorkflowError as refused:
        # A close gate (a review still open, ...) needs people: stop trying, and say why.
        Incident.objects.filter(pk=incident.pk).update(auto_close_at=None, next_due_at=None)
        services.record_event(incident, kind=EventKind.AUTO_CLOSE, actor=ctx.system, notify=False,
                              message=f"Not closed automatically: {refused.message}")
        return False


# --- the sweep -----------------------------------------------------------------------------------
def _due(now: datetime, batch_size: int):
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
            batch = list(_due(now, batch_size))
            if not batch:
                break
            result.batches += 1
            fired = clock.fired_keys([i.pk for i in batch])
            try:
                with transaction.atomic():
                    _process(batch, ctx, result, fired)
            except Exception:
                # One bad incident must not block the others: go one by one, and put the failing
                # ones back a little later.
                logger.exception("SLA sweep batch failed; retrying its incidents one by one")
                _one_by_one(batch, ctx, result)
    _pass_on_pages(ctx, result, batch_size)
    return result


def _one_by_one(batch: list[Incident], ctx: Context, result: SweepResult) -> None:
    for incident in batch:
        fresh = Incident.objects.select_related("team", "assignee").get(pk=incident.pk)
        try:
            with transaction.atomic():
                _process([fresh], ctx, result, clock.fired_keys([fresh.pk]))
        except Exception:
            logger.exception("SLA sweep failed for incident %s", incident.pk)
            result.errors += 1
            Incident.objects.filter(pk=incident.pk).update(next_due_at=ctx.now + RETRY_AFTER)


def naive_sweep(now: datetime | None = None, chunk_size: int = 2000) -> SweepResult:
    """The same work done the naive way, for the benchmark's comparison: visit every open incident,
    work out in Python whether anything is due, and fire it. Not strawman-slow: what was fired is
    read per chunk of incidents, not per incident; the difference from `sweep` is only that it
    looks at every open incident instead of the indexed few that are due."""
    now = now or timezone.now()
    ctx = Context.start(now)
    config = ctx.config
    result = SweepResult()
    active = Incident.objects.filter(state__in=clock.ACTIVE_STATES).select_related("team", "assignee").order_by("pk")
    last = 0
    while True:
        chunk = list(active.filter(pk__gt=last)[:chunk_size])
        if not chunk:
            break
        last = chunk[-1].pk
        fired = clock.fired_keys([i.pk for i in chunk])
        for incident in chunk:
            points = clock.checkpoints(incident, config, fired.get(incident.pk, ()))
            stale = incident.sla_priority != incident.priority
            if stale or any(p.due_at <= now for p in points):
                with transaction.atomic():
                    _process([incident], ctx, result, fired)
    _pass_on_pages(ctx, result, 500)
    return result


# --- pages that nobody acknowledged --------------------------------------------------------------
def _pass_on_pages(ctx: Context, result: SweepResult, batch_size: int) -> None:
    while True:
        with transaction.atomic():
            pages = list(
                Page.objects.filter(acknowledged_at__isnull=True, passed_on_at__isnull=True, escalate_at__lte=ctx.now)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("incident__team", "escalation")
                .order_by("escalate_at")[:batch_size]
            )
            if not pages:
                return
            for page in pages:
                pass_on(page, ctx)
                result.pages_passed_on += 1


def pass_on(page: Page, ctx: Context) -> Page | None:
    """The page was not acknowledged in time: page the next in line, or tell the managers."""
    page.passed_on_at = ctx.now
    page.save(update_fields=["passed_on_at"])
    incident = page.incident
    chain = Page.objects.filter(escalation_id=page.escalation_id)
    if chain.filter(acknowledged_at__isnull=False).exists():
        return None
    if incident.state not in OPEN_STATES or incident.assignee_id is not None:
        return None  # someone has it now: the chain has done its job
    paged = set(chain.values_list("user_id", flat=True))
    rotation = ctx.rotation(incident.team_id)
    people = [p for p in (oncall.in_line(rotation, ctx.now) if rotation else []) if p.pk not in paged]
    if people:
        return page_person(incident, page.escalation, step=page.step + 1, user=people[0], rotation=rotation,
                           now=ctx.now)
    event = services.record_event(
        incident, kind=EventKind.ESCALATION, actor=ctx.system, notify=False,
        message=f"Nobody in the {incident.team} rotation acknowledged the page: notified the incident managers.",
    )
    emails = ctx.manager_emails()
    Notification.objects.bulk_create(
        [Notification(event=event, channel="email", recipient=a) for a in emails], ignore_conflicts=True,
    )
    from .tasks import deliver_sla_notices

    transaction.on_commit(lambda: deliver_sla_notices.delay([event.pk]))
    return None


# --- delivering the notices ----------------------------------------------------------------------
def deliver_notices(event_ids: Iterable[int]) -> int:
    """Send the e-mails owed for these SLA events, each once (rows written by the sweep)."""
    from django.conf import settings

    sent = 0
    events = {e.pk: e for e in IncidentEvent.objects.filter(pk__in=list(event_ids)).select_related("incident")}
    for event_id in sorted(events):
        event = events[event_id]
        pending = list(Notification.objects.filter(event_id=event_id, channel="email", sent_at__isnull=True)
                       .values_list("pk", flat=True))
        for note_id in pending:
            with transaction.atomic():
                note = (Notification.objects.select_for_update(skip_locked=True)
                        .filter(pk=note_id, sent_at__isnull=True).first())
                if note is None:
                    continue  # sent already, or being sent by another worker right now
                incident = event.incident
                body = render_to_string("incidents/email/sla_notice.txt", {
                    "event": event, "incident": incident, "base_url": settings.ITSM_BASE_URL,
                })
                subject = f"[{incident.reference}] {event.get_kind_display()}: {incident.summary}"[:200]
                send_mail(subject, body, None, [note.recipient])
                note.sent_at = timezone.now()
                note.save(update_fields=["sent_at"])
                sent += 1
    return sent
