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
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from core import bulk

from .. import roles, services
from ..models import (
    Action,
    Escalation,
    EscalationPath,
    EventKind,
    Incident,
    IncidentEvent,
    Notification,
    Page,
    Rotation,
    Team,
    Trigger,
)
from ..oncall import rotation as oncall
from ..workflow import OPEN_STATES
from . import clock
from .clock import Checkpoint, SlaConfig

logger = logging.getLogger(__name__)

# A failing incident is retried this much later, so that it cannot hold up the rest.
RETRY_AFTER = timedelta(minutes=5)
LEVELS = {"low": "medium", "medium": "high"}


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
    system: object
    _managers: list[str] | None = None
    _team_emails: dict[int, list[str]] = field(default_factory=dict)
    _rotations: dict[int, Rotation | None] = field(default_factory=dict)
    _paths: dict[int, Team] | None = None

    @classmethod
    def start(cls, now: datetime) -> Context:
        config = clock.current_config()
        # The system user is created (once ever) here, outside any savepoint, so that a
        # rolled-back action cannot undo it.
        return cls(now=now, config=config, system=services.system_user())

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

    def escalates_to(self, team_id: int | None) -> Team | None:
        """The tier 2/3 team of a team's escalation path (all paths read in one query)."""
        if self._paths is None:
            self._paths = {p.team_id: p.escalates_to for p in EscalationPath.objects.select_related("escalates_to")}
        return self._paths.get(team_id) if team_id is not None else None


def _when(moment: datetime | None) -> str:
    # strftime, not date_format: this runs for every escalation of a sweep, and date_format's
    # translated names cost a millisecond each.
    return timezone.localtime(moment).strftime("%a %d %b %H:%M %Z") if moment else "-"


# --- what to do for one incident -----------------------------------------------------------------
@dataclass
class _Fire:
    point: Checkpoint
    incident_id: int
    superseded: bool = False
    kind: str = EventKind.ESCALATION
    message: str = ""
    recipients: list[str] = field(default_factory=list)
    outcome: str = ""
    noticed: bool = False  # an event goes on the timeline (everything but a superseded threshold)
    event_id: int | None = None
    escalation_id: int | None = None


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
        fire = _Fire(p, incident.pk)
        if p.kind == "rule" and p.clock and (p.rule.percent or 100) < strongest[p.clock]:
            fire.superseded = True
        fires.append(fire)
    return fires, later


def _notice(fire: _Fire, incident: Incident, ctx: Context, *, may_settle: bool) -> str | None:
    """Fill in the event kind, recipients and outcome of the fired point. Returns the action that
    still needs doing after the rows are written (a page, or a change through the services), if any.

    A change that the locked incident shows to be needless (no escalation path, already P1, already
    major) is settled here, with no second look at the database, when `may_settle`: that is, when
    no other change to the same incident comes before it in this batch.
    """
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
        settled = _needless(incident, rule, action, ctx) if may_settle else None
        fire.message = f"{text} {settled}" if settled else text
        return None if settled else action
    return None


def _route_target(rule, team_id: int | None, ctx: Context) -> Team | None:
    return rule.target_team or ctx.escalates_to(team_id)


def _needless(incident: Incident, rule, action: str, ctx: Context) -> str | None:
    """Why a change action has nothing to do on this incident as it stands, or None."""
    if action == Action.ROUTE_UP:
        target = _route_target(rule, incident.team_id, ctx)
        if target is None:
            return f"No tier 2/3 team to route to from {incident.team or 'no team'} (set an escalation path)."
        if target.pk == incident.team_id:
            return f"Already with {target}."
    elif action == Action.RAISE_PRIORITY and incident.priority <= 1:
        return "Already P1."
    elif action == Action.MARK_MAJOR and incident.is_major:
        return "Already a major incident."
    return None


def _process(batch: list[Incident], ctx: Context, result: SweepResult, fired: dict[int, set[str]]) -> None:
    """Fire what is due for a locked batch of incidents, in the caller's transaction."""
    now = ctx.now
    fires: list[_Fire] = []
    follow_ups: list[tuple[Incident, _Fire, str]] = []
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
        planned, later = _plan(incident, ctx, done)
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
                action = _notice(fire, incident, ctx, may_settle=incident.pk not in changing)
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

    _write_rows(fires, ctx)
    _save_clocks(batch, restarted)

    notice_ids = sorted({f.event_id for f in fires if f.recipients})
    if notice_ids:
        from ..tasks import deliver_sla_notices

        transaction.on_commit(lambda: deliver_sla_notices.delay(notice_ids))

    told: list[_Fire] = []
    with clock.using(ctx.config):
        for incident, fire, action in follow_ups:
            outcome = _follow_up(incident, fire, action, ctx)
            if outcome:
                fire.outcome = f"{fire.outcome} {outcome}".strip()[:300]
                fire.message = f"{fire.message} {outcome}".strip()
                told.append(fire)
        for incident in auto_close:
            if _auto_close(incident, ctx):
                result.auto_closed += 1
    bulk.update_rows(Escalation, [{"pk": f.escalation_id, "outcome": f.outcome} for f in told], ["outcome"])
    bulk.update_rows(IncidentEvent, [{"pk": f.event_id, "message": f.message} for f in told], ["message"])
    result.pages += sum(1 for _, _, action in follow_ups if action == "page")


def _write_rows(fires: list[_Fire], ctx: Context) -> None:
    """The batch's timeline events, escalation rows and owed notifications, a few statements each.

    Thousands of rows per batch, and nothing to them but their columns: written from plain rows
    (`core.bulk`), not model instances, which would cost the sweep most of its time.
    """
    noticed = [f for f in fires if f.noticed]
    written = timezone.now()  # the timeline shows when the sweep wrote it, like any other entry
    event_ids = bulk.insert_rows(IncidentEvent, [
        {"incident_id": f.incident_id, "kind": f.kind, "actor_id": ctx.system.pk, "created_at": written,
         "message": f.message, "public": False}
        for f in noticed
    ], returning=True)
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


def _save_clocks(batch: list[Incident], restarted: set[int]) -> None:
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


def _follow_up(incident: Incident, fire: _Fire, action: str, ctx: Context) -> str:
    """Page, or change the incident through the services like a person would. Returns what came
    of a change, to add to the escalation's outcome."""
    if action == "page":
        rotation = ctx.rotation(incident.team_id)
        person = oncall.in_line(rotation, ctx.now)[0]
        page_person(incident, fire.escalation_id, step=0, user=person, rotation=rotation, now=ctx.now,
                    event_id=fire.event_id)
        return ""
    try:
        # The services open their own savepoints: a refusal leaves the batch's transaction usable.
        return _change_incident(incident, fire.point.rule, action, ctx)
    except services.WorkflowError as refused:
        return f"Not done: {refused.message}"


def _change_incident(incident: Incident, rule, action: str, ctx: Context) -> str:
    fresh = Incident.objects.select_related("team").get(pk=incident.pk)
    settled = _needless(fresh, rule, action, ctx)
    if settled:
        return settled
    if action == Action.ROUTE_UP:
        target = _route_target(rule, fresh.team_id, ctx)
        services.incident_route(incident=fresh, user=ctx.system, team=target, reason=f"Escalated: {rule.name}")
        return f"Routed to {target}."
    if action == Action.RAISE_PRIORITY:
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
        fresh.is_major = True
        services.incident_save_edits(incident=fresh, user=ctx.system, changed={"is_major"})
        return "Marked as a major incident."
    return f"Unknown action {action}."


def page_person(incident: Incident, escalation_id: int, *, step: int, user, rotation: Rotation | None,
                now: datetime, event_id: int | None = None) -> Page:
    """Write the page row (once per chain step) and send it after commit."""
    ack_minutes = rotation.ack_minutes if rotation is not None else 10
    if event_id is None:
        event_id = IncidentEvent.objects.create(
            incident=incident, kind=EventKind.PAGE, actor=services.system_user(),
            message=f"Paged {user}, next in line for {incident.team}: the previous page was not acknowledged.",
        ).pk
    page = Page.objects.create(
        incident=incident, escalation_id=escalation_id, step=step, user=user, created_at=now,
        escalate_at=now + timedelta(minutes=ack_minutes), event_id=event_id,
    )
    from ..tasks import send_page

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
            done = SweepResult()
            try:
                with transaction.atomic():
                    _process(batch, ctx, done, fired)
                result.add(done)
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
        done = SweepResult()  # counted only if it commits
        try:
            with transaction.atomic():
                _process([fresh], ctx, done, clock.fired_keys([fresh.pk]))
            result.add(done)
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
                .select_related("incident__team")
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
        return page_person(incident, page.escalation_id, step=page.step + 1, user=people[0], rotation=rotation,
                           now=ctx.now)
    event = services.record_event(
        incident, kind=EventKind.ESCALATION, actor=ctx.system, notify=False,
        message=f"Nobody in the {incident.team} rotation acknowledged the page: notified the incident managers.",
    )
    emails = ctx.manager_emails()
    Notification.objects.bulk_create(
        [Notification(event=event, channel="email", recipient=a) for a in emails], ignore_conflicts=True,
    )
    from ..tasks import deliver_sla_notices

    transaction.on_commit(lambda: deliver_sla_notices.delay([event.pk]))
    return None


# --- delivering the notices ----------------------------------------------------------------------
def deliver_notices(event_ids: Iterable[int]) -> int:
    """Send the e-mails owed for these SLA events, each once (rows written by the sweep).

    One e-mail per incident and recipient: what one sweep fired together (a breach, the manager's
    notice, the team's) reaches each person as one message listing it all, not as several. The
    rows are locked (`skip_locked`) and marked sent in the transaction that sends, so a retried or
    duplicated task, or two workers, send nothing twice.
    """
    from django.conf import settings

    pending = (Notification.objects.filter(event_id__in=list(event_ids), channel="email", sent_at__isnull=True)
               .values_list("pk", "event__incident_id", "recipient"))
    groups: dict[tuple[int, str], list[int]] = {}
    for note_id, incident_id, recipient in pending:
        groups.setdefault((incident_id, recipient), []).append(note_id)
    sent = 0
    for (_incident, recipient), note_ids in sorted(groups.items()):
        with transaction.atomic():
            notes = list(Notification.objects.select_for_update(skip_locked=True, of=("self",))
                         .filter(pk__in=note_ids, sent_at__isnull=True)
                         .select_related("event__incident__team", "event__incident__assignee")
                         .order_by("event__created_at", "event_id"))
            if not notes:
                continue  # sent already, or being sent by another worker right now
            events = [note.event for note in notes]
            incident = events[0].incident
            body = render_to_string("incidents/email/sla_notice.txt", {
                "events": events, "incident": incident, "base_url": settings.ITSM_BASE_URL,
            })
            what = events[0].get_kind_display() if len(events) == 1 else f"{len(events)} SLA notices"
            send_mail(f"[{incident.reference}] {what}: {incident.summary}"[:200], body, None, [recipient])
            Notification.objects.filter(pk__in=[note.pk for note in notes]).update(sent_at=timezone.now())
            sent += 1
    return sent
