"""What a fired escalation rule does to one incident: the notice (who is told, and what), and the
action behind it (page the on-call person, route to tier 2/3, raise the priority, mark major).

A change to the incident goes through the services, like a person's would; one that the locked
incident shows to be needless is settled without it. The sweep (`sweep.process`) calls `notice`
for every rule that fires and `follow_up` after its rows are written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from .. import major, services, visibility
from ..models import Action, EventKind, Incident, Team, Trigger
from ..oncall import chain
from ..oncall import rotation as oncall
from .clock import Checkpoint
from .context import Context

LEVELS = {"low": "medium", "medium": "high"}


def when(moment: datetime | None) -> str:
    # strftime, not date_format: this runs for every escalation of a sweep, and date_format's
    # translated names cost a millisecond each.
    return timezone.localtime(moment).strftime("%a %d %b %H:%M %Z") if moment else "-"


@dataclass
class Fire:
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


def describe(point: Checkpoint, incident: Incident) -> str:
    rule = point.rule
    if point.kind == "breach":
        deadline = incident.respond_by if point.clock == "response" else incident.resolve_by
        return f"The {point.clock} target was breached ({point.clock} due {when(deadline)})."
    if rule.trigger in (Trigger.RESPONSE_ELAPSED, Trigger.RESOLUTION_ELAPSED):
        deadline = incident.respond_by if point.clock == "response" else incident.resolve_by
        if (rule.percent or 100) >= 100:
            return f"{rule.name}: the {point.clock} target has passed (due {when(deadline)})."
        return f"{rule.name}: {rule.percent}% of the {point.clock} target has elapsed (due {when(deadline)})."
    if rule.trigger == Trigger.UNASSIGNED:
        return f"{rule.name}: unassigned since {when(incident.unassigned_since)}."
    return f"{rule.name}: a stakeholder update was due at {when(incident.update_due_at)}."


def notice(fire: Fire, incident: Incident, ctx: Context, *, may_settle: bool) -> str | None:
    """Fill in the event kind, recipients and outcome of the fired point. Returns the action that
    still needs doing after the rows are written (a page, or a change through the services), if any.

    A change that the locked incident shows to be needless (no escalation path, already P1, already
    major) is settled here, with no second look at the database, when `may_settle`: that is, when
    no other change to the same incident comes before it in this batch.
    """
    point = fire.point
    text = describe(point, incident)
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
            fire.recipients = _team_emails(incident, ctx)
            fire.message = f"{text} No assignee: notified {_team_heard(incident) or 'the incident managers'}."
            fire.recipients = fire.recipients or ctx.manager_emails()
    elif action == Action.NOTIFY_TEAM:
        fire.recipients = _team_emails(incident, ctx) or ctx.manager_emails()
        fire.message = f"{text} Notified {_team_heard(incident) or 'the incident managers (no team)'}."
    elif action == Action.NOTIFY_MANAGER:
        fire.recipients = ctx.manager_emails()
        fire.message = f"{text} Notified the incident managers."
    elif action == Action.PAGE_ON_CALL:
        fire.kind = EventKind.PAGE
        # A security incident left with a team that may not read it pages nobody there.
        rotation = ctx.rotation(incident.team_id) if _team_heard(incident) else None
        person = oncall.in_line(rotation, ctx.now)[:1] if rotation else []
        if person:
            fire.message = f"{text} Paged {person[0]}, on call for {incident.team}."
            return "page"
        fire.recipients = ctx.manager_emails()
        fire.message = f"{text} Nobody is on call for {incident.team or 'an unassigned team'}: " \
                       "notified the incident managers."
    else:
        settled = needless(incident, rule, action, ctx) if may_settle else None
        fire.message = f"{text} {settled}" if settled else text
        return None if settled else action
    return None


def _team_heard(incident: Incident) -> Team | None:
    """The incident's team, when it may be told about it (`visibility.team_may_hear`)."""
    return incident.team if visibility.team_may_hear(incident, incident.team) else None


def _team_emails(incident: Incident, ctx: Context) -> list[str]:
    return ctx.team_emails(_team_heard(incident))


def route_target(rule, team_id: int | None, ctx: Context) -> Team | None:
    return rule.target_team or ctx.escalates_to(team_id)


def needless(incident: Incident, rule, action: str, ctx: Context) -> str | None:
    """Why a change action has nothing to do on this incident as it stands, or None."""
    if action == Action.ROUTE_UP:
        target = route_target(rule, incident.team_id, ctx)
        if target is None:
            return f"No tier 2/3 team to route to from {incident.team or 'no team'} (set an escalation path)."
        if target.pk == incident.team_id:
            return f"Already with {target}."
    elif action == Action.RAISE_PRIORITY and incident.priority <= 1:
        return "Already P1."
    elif action == Action.MARK_MAJOR and incident.is_major:
        return "Already a major incident."
    return None


def follow_up(incident: Incident, fire: Fire, action: str, ctx: Context) -> str:
    """Page, or change the incident through the services like a person would. Returns what came
    of a change, to add to the escalation's outcome."""
    if action == "page":
        rotation = ctx.rotation(incident.team_id)
        person = oncall.in_line(rotation, ctx.now)[0]
        chain.page_person(incident, fire.escalation_id, step=0, user=person, rotation=rotation, now=ctx.now,
                    event_id=fire.event_id)
        return ""
    try:
        # The services open their own savepoints: a refusal leaves the batch's transaction usable.
        return change_incident(incident, fire.point.rule, action, ctx)
    except services.WorkflowError as refused:
        return f"Not done: {refused.message}"


def change_incident(incident: Incident, rule, action: str, ctx: Context) -> str:
    fresh = Incident.objects.select_related("team").get(pk=incident.pk)
    settled = needless(fresh, rule, action, ctx)
    if settled:
        return settled
    if action == Action.ROUTE_UP:
        target = route_target(rule, fresh.team_id, ctx)
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
        # Declared by the system: no commander yet, which the incident managers (who hear of it) name.
        major.declare(incident=fresh, user=None, reason=f"Escalated: {rule.name}")
        return "Declared a major incident."
    return f"Unknown action {action}."
