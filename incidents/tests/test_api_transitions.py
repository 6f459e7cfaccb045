"""Transitions through the API: the ones offered are those the caller may take now (a reporter, the
reporter's only); each takes the inputs its form takes; a refusal is 409 with the state machine's
own sentence and what is possible instead; a stale one is refused before it acts."""

from __future__ import annotations

import pytest

from core.tests.api_support import assert_error
from incidents import services
from incidents.models import HoldReason, Incident
from incidents.workflow import State

from .factories import CategoryFactory, make_incident

URL = "/api/v1/incidents/"


def transitions_url(incident: Incident, name: str = "") -> str:
    return f"{URL}{incident.reference}/transitions/" + (f"{name}/" if name else "")


def offered(client, incident: Incident) -> list[str]:
    response = client.get(transitions_url(incident))
    assert response.status_code == 200, response.content
    return [t["name"] for t in response.json()]


@pytest.fixture
def network(actors):
    return CategoryFactory(name="Network", default_team=actors.team)


@pytest.fixture
def incident(actors, network):
    return make_incident(reporter=actors["reporter"], category=network)


@pytest.fixture
def resolved(actors, incident):
    services.transition(incident=incident, user=actors["team_resolver"], name="claim")
    return services.transition(incident=incident.pk, user=actors["team_resolver"], name="resolve",
                               resolution_code="fixed", resolution_notes="Reset the VPN token.")


def test_the_desk_is_offered_what_it_may_take_now_with_each_transitions_inputs(actors, incident):
    response = actors.client("desk_agent").get(transitions_url(incident))
    by_name = {t["name"]: t for t in response.json()}
    assert list(by_name) == ["triage", "claim", "start", "route", "cancel"]
    assert by_name["triage"]["inputs"] == ["category", "impact", "urgency", "team"]
    assert by_name["triage"]["target"] == "triaged" and by_name["triage"]["label"] == "Triage"


def test_a_resolver_of_another_team_is_offered_nothing_on_an_incident_they_only_read(actors, incident):
    assert offered(actors.client("other_resolver"), incident) == []


def test_reporter_sees_only_the_reporter_transitions(actors, incident, resolved):
    reporter = actors.client("reporter")
    assert offered(reporter, resolved) == ["close", "reopen"]
    fresh = make_incident(reporter=actors["reporter"])
    assert offered(reporter, fresh) == ["cancel"]


def test_triage_takes_the_forms_inputs_and_priority_follows_the_matrix(actors, incident, network):
    response = actors.client("desk_agent").post(transitions_url(incident, "triage"), {
        "category": network.pk, "impact": "high", "urgency": "high", "reason": "Whole office affected"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["priority"]) == ("triaged", 1)
    assert incident.history.latest().history_change_reason == "Triage: Whole office affected"


def test_start_work_with_an_assignee_from_the_team(actors, incident):
    response = actors.client("desk_agent").post(transitions_url(incident, "start"),
                                                {"assignee": actors["team_resolver"].pk})
    assert response.json()["state"] == "in_progress"
    assert response.json()["assignee"]["username"] == "nick"


def test_hold_and_resolve_take_their_inputs(actors, incident):
    client = actors.client("team_resolver")
    client.post(transitions_url(incident, "claim"))
    waiting = HoldReason.objects.get(name="Waiting for a vendor")
    held = client.post(transitions_url(incident, "hold"), {"hold_kind": waiting.pk, "hold_reason": "Case 4711"})
    assert held.json()["state"] == "on_hold" and held.json()["hold_kind"]["name"] == "Waiting for a vendor"
    client.post(transitions_url(incident, "resume"))
    done = client.post(transitions_url(incident, "resolve"),
                       {"resolution_code": "fixed", "resolution_notes": "Replaced the switch."})
    assert done.json()["state"] == "resolved" and done.json()["resolution_notes"] == "Replaced the switch."


def test_refused_transition_is_409_with_the_refusal_sentence_and_allowed_transitions(actors, incident):
    client = actors.client("team_resolver")
    response = client.post(transitions_url(incident, "resolve"),
                           {"resolution_code": "fixed", "resolution_notes": "Done."})
    body = assert_error(response, 409, "transition_refused")
    assert body["detail"] == f"“Resolve” is not possible: {incident.reference} is new."
    assert body["allowed_transitions"] == offered(client, incident) == ["claim", "start", "route"]
    assert body["state"] == "new"


def test_a_guard_refuses_in_its_own_words(actors, incident):
    client = actors.client("team_resolver")
    client.post(transitions_url(incident, "claim"))
    body = assert_error(client.post(transitions_url(incident, "resolve"), {}), 409, "transition_refused")
    assert body["detail"] == "Resolution notes and a resolution code are required to resolve."
    assert "resolve" in body["allowed_transitions"]
    assert Incident.objects.get(pk=incident.pk).state == State.IN_PROGRESS


def test_stale_transition_is_409(actors, incident):
    actors.client("team_resolver").post(transitions_url(incident, "claim"))
    response = actors.client("desk_agent").post(transitions_url(incident, "triage"), {"from_state": "new"})
    body = assert_error(response, 409, "stale")
    assert "someone else changed it" in body["detail"] and body["state"] == "in_progress"
    assert Incident.objects.get(pk=incident.pk).state == State.IN_PROGRESS


def test_the_loser_of_a_claim_is_told_who_has_it(actors, incident):
    actors.client("team_resolver").post(transitions_url(incident, "claim"))
    response = actors.client("desk_agent").post(transitions_url(incident, "claim"))
    assert "already assigned to" in assert_error(response, 409, "transition_refused")["detail"]


def test_reporter_cannot_take_a_staff_transition(actors, incident):
    body = assert_error(actors.client("reporter").post(transitions_url(incident, "triage")), 409)
    assert body["detail"] == f"You may not “triage” {incident.reference}."
    assert body["allowed_transitions"] == ["cancel"]


def test_reporter_confirms_the_fix_and_the_incident_closes(actors, resolved):
    response = actors.client("reporter").post(transitions_url(resolved, "close"), {"reason": "Works again"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "closed"


def test_reporter_confirmation_is_kept_while_a_review_holds_the_incident_open(actors, network):
    from reviews.services import create_required_review

    major = make_incident(reporter=actors["reporter"], category=network, impact="high", urgency="high")
    services.transition(incident=major, user=actors["team_resolver"], name="claim")
    services.transition(incident=major.pk, user=actors["team_resolver"], name="resolve",
                        resolution_code="fixed", resolution_notes="Replaced the core switch.")
    create_required_review(major.pk)
    response = actors.client("reporter").post(transitions_url(major, "close"))
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "resolved"
    assert major.events.filter(transition="confirm", actor=actors["reporter"]).exists()


def test_reporter_reopens_with_their_words_as_the_reason(actors, resolved):
    response = actors.client("reporter").post(transitions_url(resolved, "reopen"), {"reason": "Still no VPN"})
    assert response.json()["state"] == "in_progress" and response.json()["access"] == "reporter"
    assert Incident.objects.get(pk=resolved.pk).reopen_count == 1
    assert resolved.history.latest().history_change_reason == "Reopen: Still no VPN"


def test_an_input_the_transition_does_not_take_is_400(actors, incident):
    response = actors.client("desk_agent").post(transitions_url(incident, "cancel"), {"team": actors.team.pk})
    assert "team" in assert_error(response, 400, "invalid")["errors"]
    assert Incident.objects.get(pk=incident.pk).state == State.NEW


def test_an_unknown_transition_is_404(actors, incident):
    assert_error(actors.client("desk_agent").post(transitions_url(incident, "explode")), 404)


def test_transitions_of_an_incident_the_caller_may_not_see_are_404(actors, incident):
    other = actors.client("other_reporter")
    assert_error(other.get(transitions_url(incident)), 404, "not_found")
    assert_error(other.post(transitions_url(incident, "cancel")), 404, "not_found")
    assert Incident.objects.get(pk=incident.pk).state == State.NEW
