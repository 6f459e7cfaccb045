"""State changes from the admin: `<pk>/transition/<name>/` shows a small form and takes the
transition through the service, once, with who and why; a refusal is a message on the form with the
inputs kept, never a 500 and never a silent no-op."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from incidents import services
from incidents.models import EventKind, Incident, IncidentEvent
from incidents.workflow import State

from .factories import make_incident


def transition_url(incident: Incident, name: str) -> str:
    return reverse("admin:incidents_incident_transition", args=[incident.pk, name])


def change_url(incident: Incident) -> str:
    return reverse("admin:incidents_incident_change", args=[incident.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def incident(reporter, network_category):
    return make_incident(reporter=reporter, category=network_category, impact="medium", urgency="medium")


@pytest.fixture
def in_progress(incident, resolver):
    return services.transition(incident=incident.pk, user=resolver, name="claim")


def test_transition_page_shows_the_reason_and_the_transitions_inputs(client, resolver, in_progress):
    client.force_login(resolver)
    response = client.get(transition_url(in_progress, "resolve"))
    assert response.status_code == 200
    assert list(response.context["form"].fields) == [
        "resolution_code", "resolution_notes", "workaround", "verification", "reason",
    ]
    html = response.content.decode()
    assert 'name="resolution_notes"' in html and "required" in html


def test_triage_through_the_admin_writes_exactly_one_history_row_with_the_user_and_reason(
    client, agent, incident
):
    client.force_login(agent)
    history_before = incident.history.count()
    response = client.post(transition_url(incident, "triage"), {
        "category": incident.category_id, "impact": "high", "urgency": "high", "team": incident.team_id,
        "reason": "Whole branch office affected",
    })
    assert response.status_code == 302
    assert response["Location"] == change_url(incident)
    assert messages_of(response) == [f"{incident.reference} is triaged."]
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.state, saved.priority) == (State.TRIAGED, 1)
    assert incident.history.count() == history_before + 1
    row = incident.history.first()
    assert row.history_user == agent
    assert row.history_change_reason == "Triage: Whole branch office affected"
    event = IncidentEvent.objects.filter(incident=incident, kind=EventKind.TRANSITION).get()
    assert (event.actor, event.from_state, event.to_state, event.message) == (
        agent, State.NEW, State.TRIAGED, "Whole branch office affected",
    )


def test_resolve_without_notes_is_refused_with_the_reason_and_the_inputs_kept(client, resolver, in_progress):
    client.force_login(resolver)
    history_before = in_progress.history.count()
    response = client.post(transition_url(in_progress, "resolve"), {
        "resolution_code": "workaround", "resolution_notes": "", "workaround": "Use the backup tunnel",
        "reason": "Vendor fix next week",
    })
    assert response.status_code == 409
    form = response.context["form"]
    assert form.non_field_errors() == ["Resolution notes and a resolution code are required to resolve."]
    html = response.content.decode()
    assert "Use the backup tunnel" in html and "Vendor fix next week" in html
    assert '<option value="workaround" selected>' in html
    saved = Incident.objects.get(pk=in_progress.pk)
    assert saved.state == State.IN_PROGRESS
    assert in_progress.history.count() == history_before


def test_resolve_with_notes_resolves(client, resolver, in_progress):
    client.force_login(resolver)
    response = client.post(transition_url(in_progress, "resolve"), {
        "resolution_code": "fixed", "resolution_notes": "Replaced the expired certificate.", "workaround": "",
        "reason": "",
    })
    assert response.status_code == 302
    saved = Incident.objects.get(pk=in_progress.pk)
    assert (saved.state, saved.resolution_notes) == (State.RESOLVED, "Replaced the expired certificate.")
    assert saved.history.first().history_change_reason == "Resolve"


def test_hold_takes_its_reason_and_resume_clears_it(client, resolver, in_progress):
    client.force_login(resolver)
    client.post(transition_url(in_progress, "hold"), {"hold_reason": "Waiting for the user's laptop", "reason": ""})
    held = Incident.objects.get(pk=in_progress.pk)
    assert (held.state, held.hold_reason) == (State.ON_HOLD, "Waiting for the user's laptop")
    client.post(transition_url(in_progress, "resume"), {"reason": "Laptop arrived"})
    assert Incident.objects.get(pk=in_progress.pk).state == State.IN_PROGRESS


def test_start_assigns_the_chosen_person(client, agent, resolver, incident):
    client.force_login(agent)
    response = client.post(transition_url(incident, "start"), {"assignee": resolver.pk, "reason": ""})
    assert response.status_code == 302
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.state, saved.assignee) == (State.IN_PROGRESS, resolver)


def test_triage_without_a_category_is_refused_by_the_guard(client, agent, reporter):
    loose = make_incident(reporter=reporter)
    client.force_login(agent)
    response = client.post(transition_url(loose, "triage"), {
        "category": "", "impact": "low", "urgency": "low", "team": "", "reason": "Sorting it",
    })
    assert response.status_code == 409
    assert response.context["form"].non_field_errors() == [
        "Set a category before triaging the incident. The incident needs a team (queue) first."
    ]
    assert "Sorting it" in response.content.decode()
    assert Incident.objects.get(pk=loose.pk).state == State.NEW


def test_resolver_cannot_take_transitions_on_another_teams_incident(client, other_resolver, incident):
    client.force_login(other_resolver)
    response = client.post(transition_url(incident, "claim"), {"reason": "Mine now"})
    assert response.status_code == 409
    assert response.context["form"].non_field_errors() == [f"You may not “claim” {incident.reference}."]
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.state, saved.assignee) == (State.NEW, None)


def test_opening_a_transition_that_is_not_available_says_why(client, resolver, incident):
    client.force_login(resolver)
    response = client.get(transition_url(incident, "resolve"))
    assert response.status_code == 302
    assert response["Location"] == change_url(incident)
    assert messages_of(response) == [
        f"“Resolve” is not available to you for {incident.reference} while it is new."
    ]


def test_a_transition_made_stale_by_someone_else_is_refused_not_repeated(client, agent, resolver, incident):
    client.force_login(agent)
    assert client.get(transition_url(incident, "claim")).status_code == 200
    services.transition(incident=incident.pk, user=resolver, name="claim")
    response = client.post(transition_url(incident, "claim"), {"reason": ""})
    assert response.status_code == 409
    assert response.context["form"].non_field_errors() == [f"{incident.reference} is already assigned to nick."]
    assert Incident.objects.get(pk=incident.pk).assignee == resolver


def test_unknown_transition_is_not_found(client, agent, incident):
    client.force_login(agent)
    assert client.get(transition_url(incident, "teleport")).status_code == 404
    assert client.post(transition_url(incident, "teleport"), {}).status_code == 404


def test_routing_a_confidential_incident_away_returns_to_the_list(
    client, security_team, network_team, reporter, security_category
):
    from .factories import UserFactory

    member = UserFactory(username="sam", role="Resolver", team=security_team)
    secret = make_incident(reporter=reporter, category=security_category)
    client.force_login(member)
    response = client.post(transition_url(secret, "route"), {"team": network_team.pk, "reason": "Not ours"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:incidents_incident_changelist")
