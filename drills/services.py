"""Starting a drill, running its scripted steps, and ending it with its score.

A drill's incident is opened by `incidents.services.incident_create` like any other (the workflow,
the SLA clock and the escalation rules that page on-call all apply to it), marked `exercise` in
the row it is created with. Its scripted alerts go through the alert intake (`intake.alerts.ingest`)
onto the drill's incident, its updates through `comms.services.post_update` to the internal
audience only, its reporter's comments through `incidents.services.comment_add`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from comms import services as comms
from core.errors import WorkflowError
from core.roles import REPORTER, is_incident_manager
from incidents import services as incidents
from incidents.models import EventKind, Incident
from incidents.workflow import State
from intake.accounts import service_account
from intake.alerts import ingest
from intake.alerts.signals import Signal, digest
from intake.models import AlertSource, GroupStatus

from .models import Drill, DrillStep, Scenario, StepKind, StepStatus

DRILL_REPORTER = "itsm-drill-reporter"
DRILL_SOURCE = "Drills (scripted alerts)"
BATCH_SIZE = 100
# What a step's run may refuse (a comment on an incident closed meanwhile): the step failed, with
# the reason; anything else (a database error) is the task's to retry.
REFUSALS = (ValidationError, PermissionDenied, WorkflowError)


def _check_manager(user, doing: str) -> None:
    if not is_incident_manager(user):
        raise PermissionDenied(f"Only incident managers {doing} drills.")


def simulated_reporter():
    """The reporter of every drill incident: an account that cannot sign in and has no address, so
    the scripted reporter's comments are a reporter's, and no acknowledgement is mailed to anyone."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=DRILL_REPORTER, defaults={"first_name": "Drill", "last_name": "reporter", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name=REPORTER)[0])
    return user


def alert_source() -> AlertSource:
    """The monitoring source scripted alerts come from, made on first use (no token: nothing posts to it)."""
    source = AlertSource.objects.filter(name=DRILL_SOURCE).first()
    if source is not None:
        return source
    try:
        with transaction.atomic():
            return AlertSource.objects.create(name=DRILL_SOURCE,
                                              service_user=service_account("alerts", DRILL_SOURCE))
    except IntegrityError:
        # Another worker made it a moment ago (two sweeps running a first alert at once).
        return AlertSource.objects.get(name=DRILL_SOURCE)


def start_drill(*, scenario: Scenario, by) -> Drill:
    """Open the scenario's incident as an exercise and schedule its scripted steps."""
    _check_manager(by, "start")
    if not scenario.active:
        raise ValidationError(f"The scenario “{scenario}” is not active: activate it to start a drill.")
    steps = list(scenario.steps.all())
    with transaction.atomic():
        incident = incidents.incident_create(
            reporter=simulated_reporter(), created_by=by, summary=scenario.summary,
            description=scenario.description, channel=scenario.channel, category=scenario.category,
            service=scenario.service, impact=scenario.impact, urgency=scenario.urgency, exercise=True,
        )
        drill = Drill.objects.create(scenario=scenario, incident=incident, started_by=by,
                                     started_at=incident.opened_at)
        if any(step.kind == StepKind.ALERT for step in steps):
            alert_source()  # made now, by one request, rather than by two sweeps racing for it
        DrillStep.objects.bulk_create([
            DrillStep(drill=drill, step=step, due_at=drill.started_at + timedelta(minutes=step.offset_minutes))
            for step in steps
        ])
        incidents.record_event(
            incident, kind=EventKind.DRILL, actor=by, notify=False,
            message=f"Drill started by {by} from the scenario “{scenario}”: {len(steps)} scripted "
                    f"step{'s' if len(steps) != 1 else ''}. This incident is an exercise.",
        )
    return drill


# --- the scripted steps (the beat task `drills.tasks.run_due_steps`) --------------------------------
@dataclass(frozen=True)
class StepsRun:
    done: int = 0
    failed: int = 0


def run_due_steps(now: datetime | None = None, batch_size: int = BATCH_SIZE) -> StepsRun:
    """Run every pending step due by `now`, in locked batches: one indexed query a batch, rows
    another worker holds skipped (it runs them). A step is marked in the transaction that runs it,
    so a task delivered twice, or two at once, runs each step once."""
    now = now or timezone.now()
    done = failed = 0
    while True:
        with transaction.atomic():
            due = list(
                DrillStep.objects.filter(status=StepStatus.PENDING, due_at__lte=now)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("step", "drill__incident", "drill__started_by", "drill__scenario")
                .order_by("due_at", "pk")[:batch_size]
            )
            if not due:
                return StepsRun(done, failed)
            # Every step writes on its drill's incident (events, updates, the clock): lock those rows
            # first, in one order, so two workers never each hold one and wait for the other's.
            list(Incident.objects.select_for_update(of=("self",)).order_by("pk")
                 .filter(pk__in={row.drill.incident_id for row in due}).values_list("pk", flat=True))
            for row in due:
                if run_step(row, now=now):
                    done += 1
                else:
                    failed += 1


def run_step(row: DrillStep, *, now: datetime) -> bool:
    """Run one locked step in a savepoint; a refusal rolls its writes back and marks it failed."""
    try:
        with transaction.atomic():
            outcome = _perform(row, now)
        row.status = StepStatus.DONE
    except REFUSALS as refused:
        outcome = "Not done: " + " ".join(_sentences(refused))
        row.status = StepStatus.FAILED
    row.done_at, row.outcome = now, outcome[:500]
    row.save(update_fields=["status", "done_at", "outcome"])
    return row.status == StepStatus.DONE


def _sentences(error: Exception) -> list[str]:
    if isinstance(error, ValidationError):
        return list(error.messages)
    return [getattr(error, "message", None) or str(error)]


def _perform(row: DrillStep, now: datetime) -> str:
    step, drill = row.step, row.drill
    incident = drill.incident
    if step.kind == StepKind.ALERT:
        if incident.state in ingest.FINISHED:
            # A new group would open a real incident: a finished drill's alert has nowhere to go.
            raise WorkflowError(f"{incident.reference} is {incident.get_state_display().lower()}; "
                                "the alert has no drill incident to go on.")
        return ingest.ingest(alert_source(), _signal(row, now), into=incident).message
    if step.kind == StepKind.UPDATE:
        comms.post_update(incident=incident, author=drill.started_by, body=step.text, to_internal=True,
                          subject=f"Update: {incident.summary}")
        return "Update sent to the internal audience."
    incidents.comment_add(incident=incident, author=incident.reporter, body=step.text, public=True)
    return "Comment added as the reporter."


def _signal(row: DrillStep, now: datetime) -> Signal:
    """The alert as a monitoring source would send it: one group per drill (its key), and every
    scripted alert fired so far firing in it, so each new one is "1 new" on the timeline."""
    fired = [done.step for done in DrillStep.objects.filter(
        drill_id=row.drill_id, step__kind=StepKind.ALERT, status=StepStatus.DONE).select_related("step")]
    alerts = tuple(
        {"fingerprint": digest(f"drill-{row.drill_id}-step-{step.pk}")[:16],
         "labels": _labels(step), "annotations": {"summary": step.title}, "startsAt": now.isoformat(),
         "generatorURL": ""}
        for step in [*fired, row.step]
    )
    return Signal(status=GroupStatus.FIRING, dedup_key=f"drill-{row.drill_id}", title=row.step.title,
                  description=f"A scripted alert of the drill “{row.drill.scenario}”.",
                  labels=_labels(row.step), alerts=alerts)


def _labels(step) -> dict[str, str]:
    labels = {str(k): str(v) for k, v in (step.labels or {}).items()}
    if step.severity:
        labels["severity"] = step.severity
    return labels


# --- the end ----------------------------------------------------------------------------------------
def end_drill(*, drill: Drill, by, notes: str = "") -> Drill:
    """Score the drill by its incident's SOP conformance checklist as the team left it, skip the
    steps still pending, then wind the incident up as the facilitator: withdrawn if nobody worked it
    yet (new, triaged), resolved if it was being worked (on hold: resumed first), closed if it was
    resolved and its close gates (a post-incident review) allow; otherwise it stays resolved until
    they do. Scored first, so the facilitator's own steps do not count for the team."""
    from compliance import conformance

    _check_manager(by, "end")
    with transaction.atomic():
        locked = Drill.objects.select_for_update(of=("self",)).select_related("incident").get(pk=drill.pk)
        if locked.ended_at is not None:
            raise ValidationError(f"This drill ended on {timezone.localtime(locked.ended_at):%d %b %Y, %H:%M}.")
        checklist = conformance.checklist(locked.incident)
        locked.met, locked.applicable = checklist.score
        locked.score = checklist.as_dict()
        locked.ended_at, locked.ended_by = timezone.now(), by
        if notes.strip():
            locked.notes = notes.strip()
        locked.save()
        skipped = DrillStep.objects.filter(drill=locked, status=StepStatus.PENDING).update(
            status=StepStatus.SKIPPED, done_at=locked.ended_at, outcome="The drill ended first.")
        wound_up = _wind_up(locked.incident, by)
        incidents.record_event(
            locked.incident, kind=EventKind.DRILL, actor=by, notify=False,
            message=f"Drill ended by {by}: {locked.met} of {locked.applicable} SOP steps met"
                    f"{f', {skipped} scripted steps not run' if skipped else ''}. {wound_up}",
        )
    drill.refresh_from_db()
    return drill


def _wind_up(incident: Incident, by) -> str:
    reason = "The drill ended."
    state = Incident.objects.values_list("state", flat=True).get(pk=incident.pk)
    try:
        with transaction.atomic():
            if state in (State.NEW, State.TRIAGED):
                incidents.transition(incident=incident.pk, user=by, name="cancel", reason=reason)
                return "The incident was withdrawn."
            if state == State.ON_HOLD:
                incidents.transition(incident=incident.pk, user=by, name="resume", reason=reason)
                state = State.IN_PROGRESS
            if state == State.IN_PROGRESS:
                incidents.transition(incident=incident.pk, user=by, name="resolve", reason=reason,
                                     resolution_code="no_fault",
                                     resolution_notes="An exercise: the drill ended before the team resolved it.")
                state = State.RESOLVED
    except WorkflowError as refused:
        return f"The incident stays {state.replace('_', ' ')}: {refused.message}"
    if state == State.RESOLVED:
        try:
            with transaction.atomic():
                incidents.transition(incident=incident.pk, user=by, name="close", reason=reason)
            return "The incident was closed."
        except WorkflowError as refused:
            return f"The incident stays resolved: {refused.message}"
    return ""
