"""A drill: started by an incident manager from a scenario, its incident runs the real workflow and
SLA clock marked as an exercise, its scripted steps run on time and once each through the beat
task, and it ends with its SOP conformance checklist as its score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from comms.models import Update, UpdateMessage
from drills import services
from drills.models import Drill, DrillStep, StepStatus
from drills.tasks import run_due_steps
from incidents import roles
from incidents import services as incidents
from incidents.models import Comment, EventKind, Incident, IncidentEvent
from incidents.tests.factories import UserFactory
from incidents.workflow import State
from intake.models import AlertGroup

pytestmark = pytest.mark.django_db

MONDAY_10 = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)


def kinds(incident: Incident, kind: str) -> list[IncidentEvent]:
    return list(IncidentEvent.objects.filter(incident=incident, kind=kind).order_by("pk"))


def test_an_incident_manager_starts_a_drill_whose_incident_runs_the_real_workflow_as_an_exercise(
        core_switch, manager, resolver, network_team):
    with time_machine.travel(MONDAY_10, tick=False):
        drill = services.start_drill(scenario=core_switch, by=manager)

    incident = Incident.objects.get(pk=drill.incident_id)
    assert incident.exercise is True
    assert (incident.summary, incident.priority, incident.team, incident.state) == (
        "Core switch DC1 down: offices offline", 1, network_team, State.NEW)
    # The SLA clock of a P1 runs from the start, as for any incident.
    assert incident.respond_by is not None and incident.resolve_by is not None
    assert incident.opened_at == drill.started_at == MONDAY_10
    assert [e.kind for e in IncidentEvent.objects.filter(incident=incident).order_by("pk")] == [
        EventKind.CREATED, EventKind.DRILL]
    assert "Core switch failure" in kinds(incident, EventKind.DRILL)[0].message
    assert [(s.due_at - MONDAY_10, s.status) for s in DrillStep.objects.filter(drill=drill)] == [
        (timedelta(minutes=m), StepStatus.PENDING) for m in (0, 5, 10, 15)]
    # The team works it through the ordinary transitions.
    claimed = incidents.transition(incident=incident, user=resolver, name="claim")
    assert claimed.state == State.IN_PROGRESS and claimed.responded_at is not None


def test_only_incident_managers_start_a_drill_and_nothing_is_written_for_the_others(core_switch, resolver, agent):
    for person in (resolver, agent):
        with pytest.raises(PermissionDenied, match="Only incident managers start drills"):
            services.start_drill(scenario=core_switch, by=person)
    assert not Drill.objects.exists() and not Incident.objects.exists()


def test_an_inactive_scenario_is_not_started(core_switch, manager):
    core_switch.active = False
    core_switch.save()
    with pytest.raises(ValidationError, match="not active"):
        services.start_drill(scenario=core_switch, by=manager)
    assert not Incident.objects.exists()


def test_scripted_steps_run_on_time_through_the_beat_task_once_each_even_when_it_is_delivered_twice(
        core_switch, manager, django_capture_on_commit_callbacks):
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        drill = services.start_drill(scenario=core_switch, by=manager)
        incident = drill.incident

        traveller.shift(timedelta(minutes=4))
        assert run_due_steps() == {"done": 1, "failed": 0}
        assert run_due_steps() == {"done": 0, "failed": 0}  # delivered again: nothing twice
        [group] = AlertGroup.objects.all()
        assert group.incident_id == incident.pk  # on the drill's incident, not a real one of its own
        assert Incident.objects.count() == 1
        assert [e.message for e in kinds(incident, EventKind.ALERT)] == ["Alert firing: core-sw-1 unreachable"]

        traveller.shift(timedelta(minutes=6))  # +10: the second alert and the update are due
        with django_capture_on_commit_callbacks(execute=True):
            first, second = run_due_steps(), run_due_steps()
        assert (first, second) == ({"done": 2, "failed": 0}, {"done": 0, "failed": 0})
        assert [e.message for e in kinds(incident, EventKind.ALERT)][1] == "2 alerts firing, 1 new."
        [update] = Update.objects.filter(incident=incident)
        assert (update.to_internal, update.to_external, update.to_status_page) == (True, False, False)
        assert update.subject.startswith("[DRILL] ")
        assert len(kinds(incident, EventKind.UPDATE)) == 1

        traveller.shift(timedelta(minutes=5))  # +15: the reporter's comment
        run_due_steps()
        run_due_steps()
    [comment] = Comment.objects.filter(incident=incident)
    assert comment.author == incident.reporter and comment.public
    assert comment.author.username == services.DRILL_REPORTER and not comment.author.email
    steps = list(DrillStep.objects.filter(drill=drill))
    assert [s.status for s in steps] == [StepStatus.DONE] * 4
    assert [s.done_at - MONDAY_10 for s in steps] == [timedelta(minutes=m) for m in (4, 10, 10, 15)]


def test_a_step_the_incident_no_longer_allows_fails_with_its_reason_and_is_not_tried_again(
        core_switch, manager):
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        drill = services.start_drill(scenario=core_switch, by=manager)
        incidents.transition(incident=drill.incident, user=manager, name="cancel", reason="Called off")
        traveller.shift(timedelta(minutes=20))
        result = run_due_steps()
        assert run_due_steps() == {"done": 0, "failed": 0}
    comment_step = DrillStep.objects.get(drill=drill, step__kind="comment")
    assert comment_step.status == StepStatus.FAILED
    assert comment_step.outcome.startswith("Not done:") and "closed" in comment_step.outcome
    assert result["failed"] >= 1
    assert not Comment.objects.filter(incident=drill.incident).exists()


def test_a_drills_emails_say_drill_in_their_subject(core_switch, manager, resolver,
                                                    django_capture_on_commit_callbacks):
    drill = services.start_drill(scenario=core_switch, by=manager)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        incidents.incident_assign(incident=drill.incident, user=manager, assignee=resolver)
    [message] = mail.outbox
    assert message.to == [resolver.email]
    assert message.subject.startswith(f"[DRILL] [{drill.incident.reference}] Assigned to you")


def test_ending_a_drill_stores_its_conformance_checklist_as_its_score_and_skips_the_steps_left(
        core_switch, manager, resolver):
    from compliance import conformance

    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        drill = services.start_drill(scenario=core_switch, by=manager)
        incidents.transition(incident=drill.incident, user=resolver, name="claim")
        traveller.shift(timedelta(minutes=3))
        run_due_steps()
        expected = conformance.checklist(Incident.objects.get(pk=drill.incident_id))
        ended = services.end_drill(drill=drill, by=manager, notes="Paging took too long.")

    assert ended.ended_at == MONDAY_10 + timedelta(minutes=3) and ended.ended_by == manager
    assert (ended.met, ended.applicable) == expected.score
    assert ended.score == expected.as_dict()
    assert ended.notes == "Paging took too long."
    assert [s.status for s in DrillStep.objects.filter(drill=drill)] == [
        StepStatus.DONE, StepStatus.SKIPPED, StepStatus.SKIPPED, StepStatus.SKIPPED]
    incident = Incident.objects.get(pk=drill.incident_id)
    # Worked, not resolved: the facilitator resolves it (a P1's review then holds the close).
    assert incident.state in (State.RESOLVED, State.CLOSED)
    [started, finished] = kinds(incident, EventKind.DRILL)
    assert f"{ended.met} of {ended.applicable} SOP steps met" in finished.message
    assert "3 scripted steps not run" in finished.message


def test_a_drill_nobody_picked_up_is_withdrawn_when_it_ends(core_switch, manager):
    drill = services.start_drill(scenario=core_switch, by=manager)
    services.end_drill(drill=drill, by=manager)
    assert Incident.objects.get(pk=drill.incident_id).state == State.CANCELLED


def test_a_drill_ends_once_and_only_by_an_incident_manager(core_switch, manager, resolver):
    drill = services.start_drill(scenario=core_switch, by=manager)
    with pytest.raises(PermissionDenied, match="Only incident managers end drills"):
        services.end_drill(drill=drill, by=resolver)
    assert Drill.objects.get(pk=drill.pk).ended_at is None
    services.end_drill(drill=drill, by=manager)
    with pytest.raises(ValidationError, match="This drill ended on"):
        services.end_drill(drill=drill, by=UserFactory(username="mona", role=roles.INCIDENT_MANAGER))


def test_a_drills_update_never_reaches_external_stakeholders(core_switch, manager, django_capture_on_commit_callbacks):
    drill = services.start_drill(scenario=core_switch, by=manager)
    with time_machine.travel(drill.started_at + timedelta(minutes=11), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        run_due_steps()
    assert set(UpdateMessage.objects.values_list("audience", flat=True)) <= {"internal"}
