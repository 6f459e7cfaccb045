"""The incident state machine, as the SOP describes it: every state × every transition × every role."""

from __future__ import annotations

import pytest

from incidents import services
from incidents.services import WorkflowError
from incidents.workflow import State

from .factories import make_incident

# Where each transition may start and where it lands (DESIGN.md's diagram).
SOURCES = {
    "triage": {State.NEW},
    "claim": {State.NEW, State.TRIAGED},
    "start": {State.NEW, State.TRIAGED},
    "route": {State.NEW, State.TRIAGED, State.IN_PROGRESS},
    "hold": {State.IN_PROGRESS},
    "resume": {State.ON_HOLD},
    "resolve": {State.IN_PROGRESS},
    "close": {State.RESOLVED},
    "reopen": {State.RESOLVED},
    "cancel": {State.NEW, State.TRIAGED},
}
TARGETS = {
    "triage": State.TRIAGED, "claim": State.IN_PROGRESS, "start": State.IN_PROGRESS, "route": State.TRIAGED,
    "hold": State.ON_HOLD, "resume": State.IN_PROGRESS, "resolve": State.RESOLVED, "close": State.CLOSED,
    "reopen": State.IN_PROGRESS, "cancel": State.CANCELLED,
}
# Who may take each transition on a Network-team incident reported by `reporter`.
ROLES_ALLOWED = {
    "triage": {"agent", "manager"},
    "claim": {"agent", "resolver", "manager"},
    "start": {"agent", "resolver", "manager"},
    "route": {"agent", "resolver", "manager"},
    "hold": {"agent", "resolver", "manager"},
    "resume": {"agent", "resolver", "manager"},
    "resolve": {"agent", "resolver", "manager"},
    "close": {"reporter", "agent", "resolver", "manager"},
    "reopen": {"reporter", "agent", "resolver", "manager"},
    "cancel": {"reporter", "agent", "manager"},
}
ROLES = ["reporter", "other_reporter", "agent", "resolver", "other_resolver", "manager"]


def inputs_for(name: str, *, resolver, platform_team) -> dict:
    return {
        "route": {"team": platform_team},
        "start": {"assignee": resolver},
        "hold": {"hold_reason": "Waiting for the carrier"},
        "resolve": {"resolution_code": "fixed", "resolution_notes": "Replaced the faulty switch port."},
    }.get(name, {})


@pytest.fixture
def incident_in(reporter, manager, resolver, network_category):
    """Build an incident in a given state the way people would: through the services."""

    def build(state: str):
        incident = make_incident(reporter=reporter, category=network_category, impact="medium", urgency="medium")
        steps = {
            State.NEW: [],
            State.TRIAGED: [("triage", manager, {})],
            State.IN_PROGRESS: [("triage", manager, {}), ("claim", resolver, {})],
            State.ON_HOLD: [("triage", manager, {}), ("claim", resolver, {}),
                            ("hold", resolver, {"hold_reason": "Waiting for the user"})],
            State.RESOLVED: [("triage", manager, {}), ("claim", resolver, {}),
                             ("resolve", resolver, {"resolution_code": "fixed", "resolution_notes": "Done."})],
            State.CLOSED: [("triage", manager, {}), ("claim", resolver, {}),
                           ("resolve", resolver, {"resolution_code": "fixed", "resolution_notes": "Done."}),
                           ("close", reporter, {})],
            State.CANCELLED: [("cancel", manager, {})],
        }[state]
        for name, user, inputs in steps:
            incident = services.transition(incident=incident, user=user, name=name, **inputs)
        assert incident.state == state
        return incident

    return build


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(SOURCES))
@pytest.mark.parametrize("state", [s.value for s in State])
def test_every_transition_from_every_state_for_every_role(
    request, incident_in, state, name, role, resolver, platform_team
):
    incident = incident_in(state)
    user = request.getfixturevalue(role)
    history_before = incident.history.count()
    allowed = state in SOURCES[name] and role in ROLES_ALLOWED[name]

    if allowed:
        after = services.transition(incident=incident, user=user, name=name, reason="test",
                                    **inputs_for(name, resolver=resolver, platform_team=platform_team))
        assert after.state == TARGETS[name]
        latest = after.history.order_by("-history_id").first()
        assert after.history.count() == history_before + 1, "one history row per transition"
        assert latest.history_user == user
        assert latest.history_change_reason.endswith(": test")
        assert after.events.filter(transition=name, actor=user, from_state=state).exists()
    else:
        with pytest.raises(WorkflowError) as refused:
            services.transition(incident=incident, user=user, name=name, reason="test",
                                **inputs_for(name, resolver=resolver, platform_team=platform_team))
        assert refused.value.message
        incident.refresh_from_db()
        assert incident.state == state
        assert incident.history.count() == history_before


def test_resolve_without_resolution_notes_is_refused_with_the_reason(incident_in, resolver):
    incident = incident_in(State.IN_PROGRESS)
    with pytest.raises(WorkflowError, match="Resolution notes"):
        services.transition(incident=incident, user=resolver, name="resolve", resolution_code="fixed")
    incident.refresh_from_db()
    assert incident.state == State.IN_PROGRESS


def test_hold_needs_to_say_what_it_waits_for(incident_in, resolver):
    with pytest.raises(WorkflowError, match="what the incident is waiting for"):
        services.transition(incident=incident_in(State.IN_PROGRESS), user=resolver, name="hold")


def test_claim_by_a_resolver_of_another_team_is_refused(incident_in, other_resolver):
    with pytest.raises(WorkflowError, match="may not"):
        services.transition(incident=incident_in(State.TRIAGED), user=other_resolver, name="claim")


def test_claim_assigns_the_claimer_and_counts_as_first_response(incident_in, resolver):
    incident = services.transition(incident=incident_in(State.NEW), user=resolver, name="claim")
    assert incident.assignee == resolver
    assert incident.responded_at is not None and incident.triaged_at is not None


def test_route_moves_to_the_new_queue_and_lets_go_of_the_assignee(incident_in, resolver, platform_team):
    incident = services.transition(incident=incident_in(State.IN_PROGRESS), user=resolver, name="route",
                                   team=platform_team, reason="Needs the platform team")
    assert (incident.state, incident.team, incident.assignee) == (State.TRIAGED, platform_team, None)


def test_resume_adds_the_time_on_hold_to_paused_seconds(incident_in, resolver, time_machine):
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    incident = incident_in(State.ON_HOLD)
    time_machine.move_to("2026-03-02 10:30Z", tick=False)
    incident = services.transition(incident=incident, user=resolver, name="resume")
    assert incident.paused_seconds == 90 * 60
    assert incident.on_hold_since is None


def test_reopen_counts_and_returns_to_the_resolver(incident_in, reporter):
    incident = services.transition(incident=incident_in(State.RESOLVED), user=reporter, name="reopen",
                                   reason="Still cannot connect")
    assert incident.state == State.IN_PROGRESS and incident.reopen_count == 1 and incident.resolved_at is None


def test_an_unknown_transition_is_a_clear_error(incident_in, manager):
    with pytest.raises(WorkflowError, match="is not a transition of incidents"):
        services.transition(incident=incident_in(State.NEW), user=manager, name="delete")


def test_a_stale_instance_cannot_move_an_incident_someone_else_moved(incident_in, manager, resolver):
    stale = incident_in(State.TRIAGED)
    services.transition(incident=stale.pk, user=resolver, name="claim")
    with pytest.raises(WorkflowError, match="someone else"):
        services.transition(incident=stale, user=manager, name="cancel")


def test_the_state_field_cannot_be_assigned_directly(incident_in):
    incident = incident_in(State.NEW)
    with pytest.raises(AttributeError):
        incident.state = State.CLOSED


def test_close_gates_refuse_with_their_own_sentence(incident_in, reporter):
    from incidents.workflow import CLOSE_GATES

    def gate(incident):
        return f"{incident.reference} still needs its review."

    CLOSE_GATES.append(gate)
    try:
        incident = incident_in(State.RESOLVED)
        with pytest.raises(WorkflowError, match="still needs its review"):
            services.transition(incident=incident, user=reporter, name="close")
    finally:
        CLOSE_GATES.remove(gate)
    assert services.transition(incident=incident, user=reporter, name="close").state == State.CLOSED


def test_available_transitions_are_exactly_those_the_user_may_take(incident_in, reporter, resolver, agent):
    resolved = incident_in(State.RESOLVED)
    assert [t.name for t in services.available_transitions(resolved, reporter, for_reporter=True)] == [
        "close", "reopen"]
    triaged = incident_in(State.TRIAGED)
    assert {t.name for t in services.available_transitions(triaged, resolver)} == {"claim", "start", "route"}
    assert {t.name for t in services.available_transitions(triaged, agent)} == {"claim", "start", "route", "cancel"}
