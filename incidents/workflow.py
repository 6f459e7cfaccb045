"""The incident state machine: states, transitions, their guards and who may take them.

The transitions live on `IncidentStateMachine`, a mixin of `Incident`. They only change the
instance; `services.transition` locks the row, calls one, saves, records the event and schedules
the side effects. Admin, portal and API all go through that service, so a guard written here holds
everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import timezone
from django_fsm import transition

from core.transitions import guard

from . import roles

if TYPE_CHECKING:
    from .models import Incident


class State(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


# A transition once taken, in words: the timelines (the admin's, the review's) say these, never the code.
TRANSITION_DONE = {
    "triage": "Triaged",
    "claim": "Claimed",
    "start": "Work started",
    "route": "Routed to another team",
    "hold": "Put on hold",
    "resume": "Resumed",
    "resolve": "Resolved",
    "close": "Closed",
    "reopen": "Reopened",
    "cancel": "Withdrawn",
    "confirm": "Fix confirmed by the reporter",
    "mark_responded": "Responded",
}


def transition_done(name: str) -> str:
    return TRANSITION_DONE.get(name) or (name.replace("_", " ").capitalize() if name else "State change")


OPEN_STATES = (State.NEW, State.TRIAGED, State.IN_PROGRESS, State.ON_HOLD)
DONE_STATES = (State.CLOSED, State.CANCELLED)


# --- Guards (conditions). Each carries the sentence shown when it refuses. -----------------------
@guard("Set a category before triaging the incident.")
def has_category(incident: Incident) -> bool:
    return incident.category_id is not None


@guard("The incident needs a team (queue) first.")
def has_team(incident: Incident) -> bool:
    return incident.team_id is not None


@guard("Assign the incident to someone before starting work.")
def has_assignee(incident: Incident) -> bool:
    return incident.assignee_id is not None


@guard("Resolution notes and a resolution code are required to resolve.")
def has_resolution(incident: Incident) -> bool:
    return bool((incident.resolution_notes or "").strip()) and bool(incident.resolution_code)


@guard("Say what the incident is waiting for before putting it on hold.")
def has_hold_reason(incident: Incident) -> bool:
    return incident.hold_kind_id is not None or bool((incident.hold_reason or "").strip())


# Other apps add conditions for closing (a required post-incident review, ...). Each gate takes the
# incident and returns None to allow, or the sentence that explains the refusal.
CLOSE_GATES: list[Callable[[Any], str | None]] = []


def register_close_gate(gate: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
    if gate not in CLOSE_GATES:
        CLOSE_GATES.append(gate)
    return gate


def close_refusal(incident: Incident) -> str | None:
    for gate in CLOSE_GATES:
        refusal = gate(incident)
        if refusal:
            return refusal
    return None


def passes_close_gates(incident: Incident) -> bool:
    return close_refusal(incident) is None


passes_close_gates.refusal = "The incident cannot be closed yet."  # type: ignore[attr-defined]


# --- Permissions: (incident, user) -> bool --------------------------------------------------------
def may_triage(incident: Incident, user) -> bool:
    return roles.is_desk_agent(user) or roles.is_incident_manager(user)


def may_work(incident: Incident, user) -> bool:
    return roles.can_work_on(user, incident)


def may_close_or_reopen(incident: Incident, user) -> bool:
    return incident.reporter_id == user.pk or roles.can_work_on(user, incident)


def may_cancel(incident: Incident, user) -> bool:
    return (
        roles.is_desk_agent(user)
        or roles.is_incident_manager(user)
        or incident.reporter_id == user.pk
    )


class IncidentStateMachine(models.Model):
    """Transitions of `Incident.state`. Arguments a transition needs are set on the instance by
    the service before the call, so that the guards above can see them."""

    class Meta:
        abstract = True

    @transition(field="state", source=State.NEW, target=State.TRIAGED,
                conditions=[has_category, has_team], permission=may_triage,
                custom={"label": "Triage", "reporter": False})
    def triage(self) -> None:
        self.triaged_at = self.triaged_at or timezone.now()
        self.mark_responded()

    @transition(field="state", source=[State.NEW, State.TRIAGED], target=State.IN_PROGRESS,
                conditions=[has_team], permission=may_work,
                custom={"label": "Claim", "reporter": False, "needs_actor_as_assignee": True})
    def claim(self) -> None:
        # The service sets `assignee` to the claiming user before the call.
        self.triaged_at = self.triaged_at or timezone.now()
        self.mark_responded()

    @transition(field="state", source=[State.NEW, State.TRIAGED], target=State.IN_PROGRESS,
                conditions=[has_team, has_assignee], permission=may_work,
                custom={"label": "Start work", "reporter": False})
    def start(self) -> None:
        self.triaged_at = self.triaged_at or timezone.now()
        self.mark_responded()

    @transition(field="state", source=[State.NEW, State.TRIAGED, State.IN_PROGRESS],
                target=State.TRIAGED, conditions=[has_category, has_team], permission=may_work,
                custom={"label": "Route to team", "reporter": False})
    def route(self) -> None:
        # The service sets the new team; whoever had it in the old team lets go of it.
        self.assignee = None
        self.triaged_at = self.triaged_at or timezone.now()
        self.mark_responded()

    @transition(field="state", source=State.IN_PROGRESS, target=State.ON_HOLD,
                conditions=[has_hold_reason], permission=may_work,
                custom={"label": "Put on hold", "reporter": False})
    def hold(self) -> None:
        self.on_hold_since = timezone.now()

    @transition(field="state", source=State.ON_HOLD, target=State.IN_PROGRESS,
                permission=may_work, custom={"label": "Resume", "reporter": False})
    def resume(self) -> None:
        if self.on_hold_since:
            self.paused_seconds += int((timezone.now() - self.on_hold_since).total_seconds())
        self.on_hold_since = None
        self.hold_kind = None
        self.hold_reason = ""

    @transition(field="state", source=State.IN_PROGRESS, target=State.RESOLVED,
                conditions=[has_resolution], permission=may_work,
                custom={"label": "Resolve", "reporter": False})
    def resolve(self) -> None:
        self.resolved_at = timezone.now()
        self.mark_responded()

    @transition(field="state", source=State.RESOLVED, target=State.CLOSED,
                conditions=[passes_close_gates], permission=may_close_or_reopen,
                custom={"label": "Close", "reporter": True, "reporter_label": "Yes, it is fixed"})
    def close(self) -> None:
        self.closed_at = timezone.now()

    @transition(field="state", source=State.RESOLVED, target=State.IN_PROGRESS,
                permission=may_close_or_reopen,
                custom={"label": "Reopen", "reporter": True, "reporter_label": "No, still broken"})
    def reopen(self) -> None:
        self.resolved_at = None
        self.reopen_count += 1

    @transition(field="state", source=[State.NEW, State.TRIAGED], target=State.CANCELLED,
                permission=may_cancel,
                custom={"label": "Cancel", "reporter": True, "reporter_label": "Withdraw"})
    def cancel(self) -> None:
        self.closed_at = timezone.now()

    def mark_responded(self) -> None:
        """First response: the first triage, claim, start, route, resolve or public reply."""
        if self.responded_at is None:
            self.responded_at = timezone.now()
