"""The SLA clock on an incident: its deadlines, pauses, cadence and next due time.

`refresh(incident)` runs just before every save of an incident (services call it), and brings the
stored clock up to date with the incident as it is about to be saved. It works out what changed
from the fields themselves, so callers need not say which transition happened:

- a priority the deadlines were not computed for: deadlines from the opening time with the new
  targets, extended by the pauses so far; a new SLA cycle (rules may fire again);
- entering on_hold or resolved: the clock pauses; leaving it: deadlines move out by the business
  time spent paused;
- no assignee: the unassigned spell starts (or goes on); an assignee ends it;
- resolved: the auto-close time, once.

`checkpoints()` lists what the clock still has to do and when, and `next_due_at` is the earliest:
the sweep's one indexed query looks only at that column.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import businesstime

from ..models import (
    BusinessCalendar,
    BusinessHours,
    Escalation,
    EscalationRule,
    EventKind,
    Holiday,
    Incident,
    IncidentEvent,
    SlaConfigStamp,
    SlaPolicy,
    Trigger,
)
from ..workflow import OPEN_STATES, State

PAUSED_STATES = (State.ON_HOLD, State.RESOLVED)
ACTIVE_STATES = (*OPEN_STATES, State.RESOLVED)


def auto_close_business_days() -> int:
    return int(getattr(settings, "ITSM_AUTO_CLOSE_BUSINESS_DAYS", 3))


def auto_close_time(resolved_at: datetime, calendar: businesstime.Calendar) -> datetime:
    """The grace period after resolution, in business days of the default calendar."""
    day = businesstime.MINUTES_PER_DAY if calendar.always else calendar.day_minutes
    return businesstime.add_business_time(resolved_at, auto_close_business_days() * day, calendar)


@dataclass(frozen=True)
class SlaConfig:
    """Policies, calendars and rules as one snapshot, read by `load()` in five queries. Shared by
    everything a process does until the configuration's stamp changes (`current_config`)."""

    policies: dict[int, SlaPolicy]
    rules: list[EscalationRule]
    calendars: dict[int, businesstime.Calendar]
    default_calendar_id: int | None

    @classmethod
    def load(cls) -> SlaConfig:
        hours: dict[int, list] = {}
        holidays: dict[int, list] = {}
        for h in BusinessHours.objects.all():
            hours.setdefault(h.calendar_id, []).append(h)
        for d in Holiday.objects.all():
            holidays.setdefault(d.calendar_id, []).append(d)
        rows = list(BusinessCalendar.objects.all())
        return cls(
            policies={p.priority: p for p in SlaPolicy.objects.select_related("calendar")},
            rules=list(EscalationRule.objects.filter(active=True).select_related("target_team")),
            calendars={row.pk: row.as_calendar(hours=hours.get(row.pk, []), holidays=holidays.get(row.pk, []))
                       for row in rows},
            default_calendar_id=next((row.pk for row in rows if row.is_default), None),
        )

    def calendar(self, calendar_id: int | None) -> businesstime.Calendar:
        """A calendar by id; none (or one deleted since) means the clock runs around the clock."""
        return self.calendars.get(calendar_id, businesstime.ALWAYS) if calendar_id is not None else businesstime.ALWAYS

    def default_calendar(self) -> businesstime.Calendar:
        return self.calendar(self.default_calendar_id)

    def rules_for(self, priority: int, trigger: str) -> list[EscalationRule]:
        return [r for r in self.rules if r.trigger == trigger and priority <= r.up_to_priority]


# --- the configuration a process keeps ----------------------------------------------------------
# (token of SlaConfigStamp, the configuration loaded under it). Replaced whole, never mutated, so
# threads may share it.
_kept: tuple[uuid.UUID, SlaConfig] | None = None


def current_config() -> SlaConfig:
    """The SLA configuration, reloaded only when its stamp changed since this process loaded it."""
    global _kept
    token = SlaConfigStamp.objects.filter(pk=1).values_list("token", flat=True).first()
    kept = _kept
    if token is not None and kept is not None and kept[0] == token:
        return kept[1]
    config = SlaConfig.load()
    if token is not None:
        _kept = (token, config)
    return config


def config_changed(sender=None, using: str | None = None, **kwargs) -> None:
    """A new stamp for the SLA configuration, in the caller's transaction.

    Connected to the saves and deletions of policies, calendars, business hours, holidays and
    escalation rules (`IncidentsConfig.ready`); their querysets renew it on bulk changes.
    """
    SlaConfigStamp.renew(using)


_in_use: ContextVar[SlaConfig | None] = ContextVar("sla_config_in_use", default=None)


@contextmanager
def using(config: SlaConfig) -> Iterator[SlaConfig]:
    """Let every clock refresh inside the block use `config` instead of loading its own.

    The sweep holds one configuration for all the incidents it handles; an action it takes through
    the services (routing an incident, raising its priority) saves the incident, and that save
    refreshes the clock. Without this, each such save would look the configuration up again.
    """
    token = _in_use.set(config)
    try:
        yield config
    finally:
        _in_use.reset(token)


def config_in_use() -> SlaConfig:
    return _in_use.get() or current_config()


# --- keys of the things the clock does (Escalation.key) ------------------------------------------
def rule_key(rule: EscalationRule, incident: Incident) -> str:
    if rule.trigger in (Trigger.RESPONSE_ELAPSED, Trigger.RESOLUTION_ELAPSED):
        return f"rule{rule.pk}:sla{incident.sla_cycle}"
    if rule.trigger == Trigger.UNASSIGNED:
        return f"rule{rule.pk}:unassigned{int(incident.unassigned_since.timestamp())}"
    return f"rule{rule.pk}:update{int(incident.update_due_at.timestamp())}"


def breach_key(which: str, incident: Incident) -> str:
    return f"breach-{which}:sla{incident.sla_cycle}"


@dataclass(frozen=True)
class Checkpoint:
    """One thing the clock will do to an incident at `due_at`."""

    kind: str  # "rule", "breach", "auto_close"
    due_at: datetime
    key: str = ""
    rule: EscalationRule | None = None
    clock: str = ""  # "response" / "resolution" for target thresholds and breaches


def checkpoints(incident: Incident, config: SlaConfig, fired: Iterable[str] = ()) -> list[Checkpoint]:
    """Everything still to do for this incident, fired or not yet; `fired` keys are left out."""
    fired = set(fired)
    result: list[Checkpoint] = []
    state = incident.state
    if state == State.RESOLVED:
        if incident.auto_close_at:
            result.append(Checkpoint("auto_close", incident.auto_close_at))
        return result
    if state not in OPEN_STATES:
        return result
    priority = incident.priority
    running = incident.clock_paused_at is None
    calendar = config.calendar(incident.sla_calendar_id)
    targets = [
        ("response", Trigger.RESPONSE_ELAPSED, incident.respond_by, incident.response_target,
         incident.responded_at is None),
        ("resolution", Trigger.RESOLUTION_ELAPSED, incident.resolve_by, incident.resolution_target,
         incident.resolved_at is None),
    ]
    for clock_name, trigger, deadline, target, pending in targets:
        if not (running and pending and deadline and target):
            continue
        for rule in config.rules_for(priority, trigger):
            key = rule_key(rule, incident)
            if key not in fired:
                due = businesstime.threshold_time(deadline, target, rule.percent or 100, calendar)
                result.append(Checkpoint("rule", due, key, rule, clock_name))
        key = breach_key(clock_name, incident)
        if key not in fired:
            result.append(Checkpoint("breach", deadline, key, None, clock_name))
    if running and incident.assignee_id is None and incident.unassigned_since:
        for rule in config.rules_for(priority, Trigger.UNASSIGNED):
            key = rule_key(rule, incident)
            if key not in fired:
                due = incident.unassigned_since + timedelta(minutes=rule.minutes or 0)
                result.append(Checkpoint("rule", due, key, rule))
    if incident.update_due_at:
        for rule in config.rules_for(priority, Trigger.UPDATE_OVERDUE):
            key = rule_key(rule, incident)
            if key not in fired:
                due = incident.update_due_at + timedelta(minutes=rule.minutes or 0)
                result.append(Checkpoint("rule", due, key, rule))
    return result


def fired_keys(incident_ids: Iterable[int]) -> dict[int, set[str]]:
    keys: dict[int, set[str]] = {}
    for incident_id, key in Escalation.objects.filter(incident_id__in=list(incident_ids)).values_list(
        "incident_id", "key"
    ):
        keys.setdefault(incident_id, set()).add(key)
    return keys


def next_due(incident: Incident, config: SlaConfig, fired: Iterable[str]) -> datetime | None:
    points = checkpoints(incident, config, fired)
    return min((p.due_at for p in points), default=None)


# --- keeping the clock ---------------------------------------------------------------------------
def pause_spans(incident: Incident) -> list[tuple[datetime, datetime | None]]:
    """When the clock stood still: on hold, and resolved until reopened. From the timeline."""
    spans: list[tuple[datetime, datetime | None]] = []
    if incident.pk is None:
        return spans
    events = IncidentEvent.objects.filter(
        incident_id=incident.pk, kind=EventKind.TRANSITION, transition__in=["hold", "resume", "resolve", "reopen"],
    ).order_by("created_at", "pk").values_list("transition", "created_at")
    started = None
    for name, at in events:
        if name in ("hold", "resolve"):
            started = started or at
        elif started is not None:
            spans.append((started, at))
            started = None
    if started is not None:
        spans.append((started, None))
    return spans


def _start_targets(incident: Incident, config: SlaConfig, now: datetime) -> None:
    """Deadlines for the incident's current priority, measured from its opening."""
    policy = config.policies.get(incident.priority)
    first = incident.sla_priority is None
    incident.sla_priority = incident.priority
    if first:
        incident.sla_started_at = now
    else:
        incident.sla_cycle = (incident.sla_cycle or 0) + 1
    incident.response_breached = incident.resolution_breached = False
    if policy is None:
        incident.respond_by = incident.resolve_by = None
        incident.response_target = incident.resolution_target = None
        incident.sla_calendar_id = None
        incident.update_due_at = None
        return
    calendar = config.calendar(policy.calendar_id)
    incident.sla_calendar_id = policy.calendar_id
    incident.response_target = policy.response_minutes
    incident.resolution_target = policy.resolution_minutes
    opened = incident.opened_at or now
    paused = sum(
        businesstime.business_minutes_between(start, end, calendar) for start, end in pause_spans(incident) if end is not None
    )
    incident.respond_by = businesstime.add_business_time(opened, policy.response_minutes + paused, calendar)
    incident.resolve_by = businesstime.add_business_time(opened, policy.resolution_minutes + paused, calendar)
    if policy.update_minutes and incident.state in OPEN_STATES:
        base = now if not first else opened
        incident.update_due_at = base + timedelta(minutes=policy.update_minutes)
    else:
        incident.update_due_at = None


def refresh(
    incident: Incident,
    *,
    now: datetime | None = None,
    config: SlaConfig | None = None,
    fired: Iterable[str] | None = None,
) -> Incident:
    """Update the incident's clock fields in place (no save). See the module docstring."""
    now = now or timezone.now()
    config = config or config_in_use()
    state = incident.state

    if state in ACTIVE_STATES and incident.sla_priority != incident.priority:
        _start_targets(incident, config, now)

    if state in PAUSED_STATES:
        if incident.clock_paused_at is None:
            since = incident.on_hold_since if state == State.ON_HOLD else incident.resolved_at
            incident.clock_paused_at = min(since or now, now)
            if state == State.RESOLVED:
                incident.auto_close_at = auto_close_time(incident.resolved_at or now, config.default_calendar())
    elif incident.clock_paused_at is not None:
        if state in OPEN_STATES:
            calendar = config.calendar(incident.sla_calendar_id)
            paused = businesstime.business_minutes_between(incident.clock_paused_at, now, calendar)
            if paused > 0:
                if incident.respond_by and incident.responded_at is None:
                    incident.respond_by = businesstime.add_business_time(incident.respond_by, paused, calendar)
                if incident.resolve_by:
                    incident.resolve_by = businesstime.add_business_time(incident.resolve_by, paused, calendar)
        incident.clock_paused_at = None
    if state != State.RESOLVED:
        incident.auto_close_at = None

    if state in OPEN_STATES and incident.assignee_id is None:
        incident.unassigned_since = incident.unassigned_since or now
    else:
        incident.unassigned_since = None

    if state not in OPEN_STATES:
        incident.update_due_at = None

    # A target met late is breached, whether or not the sweep saw the deadline pass.
    if incident.responded_at and incident.respond_by and incident.responded_at > incident.respond_by:
        incident.response_breached = True
    if incident.resolved_at and incident.resolve_by and incident.resolved_at > incident.resolve_by:
        incident.resolution_breached = True

    incident.at_risk_from = at_risk_from(incident, config) if state in OPEN_STATES else None

    if state in ACTIVE_STATES:
        if fired is None:
            fired = fired_keys([incident.pk]).get(incident.pk, set()) if incident.pk else set()
        incident.next_due_at = next_due(incident, config, fired)
    else:
        incident.next_due_at = None
    return incident


AT_RISK_PERCENT = 75


def at_risk_from(incident: Incident, config: SlaConfig) -> datetime | None:
    """When the target that matters now (response until responded, then resolution) is 75% used."""
    if incident.responded_at is None and incident.respond_by and incident.response_target:
        deadline, target = incident.respond_by, incident.response_target
    elif incident.resolve_by and incident.resolution_target:
        deadline, target = incident.resolve_by, incident.resolution_target
    else:
        return None
    return businesstime.threshold_time(deadline, target, AT_RISK_PERCENT, config.calendar(incident.sla_calendar_id))


CLOCK_FIELDS = [
    "respond_by", "resolve_by", "response_breached", "resolution_breached", "sla_priority", "sla_cycle", "sla_started_at",
    "response_target", "resolution_target", "sla_calendar", "clock_paused_at", "unassigned_since",
    "last_update_at", "update_due_at", "auto_close_at", "next_due_at", "at_risk_from",
]


def record_stakeholder_update(incident: Incident | int, *, at: datetime | None = None) -> None:
    """A public update reached the stakeholders: the cadence starts again from now.

    Written with `update()` (no history row, no version bump): the update itself is on the
    timeline, and an agent's open edit form must not go stale because someone posted a reply.
    """
    at = at or timezone.now()
    pk = incident.pk if isinstance(incident, Incident) else incident
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=pk)
        locked.last_update_at = at
        config = config_in_use()
        policy = config.policies.get(locked.priority) if locked.state in OPEN_STATES else None
        if policy is not None and policy.update_minutes:
            locked.update_due_at = at + timedelta(minutes=policy.update_minutes)
        if locked.state in ACTIVE_STATES:
            locked.next_due_at = next_due(locked, config, fired_keys([pk]).get(pk, set()))
        Incident.objects.filter(pk=pk).update(
            last_update_at=locked.last_update_at, update_due_at=locked.update_due_at, next_due_at=locked.next_due_at,
        )
    if isinstance(incident, Incident):
        incident.last_update_at, incident.update_due_at, incident.next_due_at = (
            locked.last_update_at, locked.update_due_at, locked.next_due_at,
        )


def time_left(incident: Incident, now: datetime | None = None) -> tuple[str, timedelta | None]:
    """(which target, time left - negative when overdue) for the target that matters now."""
    now = now or timezone.now()
    if incident.state not in OPEN_STATES:
        return ("", None)
    if incident.responded_at is None and incident.respond_by:
        deadline, which = incident.respond_by, "response"
    elif incident.resolve_by:
        deadline, which = incident.resolve_by, "resolution"
    else:
        return ("", None)
    if incident.clock_paused_at:
        # Paused: the time left is frozen at what it was when the clock stopped.
        return (which, deadline - incident.clock_paused_at)
    return (which, deadline - now)
