"""The incident's change page: its fieldsets, edits saved through the service without lost updates,
comments, the timeline, confidentiality, logging a new incident, and the history that cannot be
reverted."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import services
from incidents.models import Channel, Comment, EventKind, Incident, IncidentEvent
from incidents.workflow import State

from .factories import UserFactory, make_incident


def change_url(incident: Incident) -> str:
    return reverse("admin:incidents_incident_change", args=[incident.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def form_data(response) -> dict:
    """The change form's current values, as a browser would post them back."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            value = ""
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = value
    return data


@pytest.fixture
def incident(reporter, network_category):
    return make_incident(reporter=reporter, category=network_category, impact="medium", urgency="medium",
                         summary="VPN drops every ten minutes")


@pytest.fixture
def confidential(reporter, security_category):
    return make_incident(reporter=reporter, category=security_category, summary="Phishing mail clicked")


# --- the form --------------------------------------------------------------------------------------
def test_change_form_groups_fields_into_classification_assignment_and_resolution(client, agent, incident):
    client.force_login(agent)
    response = client.get(change_url(incident))
    assert response.status_code == 200
    fieldsets = {name: [f for line in opts["fields"] for f in (line if isinstance(line, tuple) else (line,))]
                 for name, opts in response.context["adminform"].fieldsets}
    assert fieldsets["Classification"] == [
        "summary", "description", "category", "service", "impact", "urgency", "priority",
        "confidential", "is_major", "parent", "known_error", "triage_decision",
    ]
    assert fieldsets["Assignment"] == ["team", "assignee", "state", "hold_kind", "hold_reason", "loaded_version"]
    assert fieldsets["Resolution"] == ["resolution_code", "resolution_notes", "workaround", "verification"]
    assert fieldsets["SLA clock"] == ["sla_clock"]
    form = response.context["adminform"].form
    assert "state" not in form.fields and "priority" not in form.fields
    # Shown, not edited: the resolve step records how restoration was verified.
    assert "verification" not in form.fields
    assert form["loaded_version"].value() == incident.version


def test_state_is_never_editable_from_the_change_form(client, agent, incident):
    client.force_login(agent)
    data = form_data(client.get(change_url(incident)))
    data["state"] = State.CLOSED
    data["priority"] = "1"
    response = client.post(change_url(incident), data)
    assert response.status_code == 302
    saved = Incident.objects.get(pk=incident.pk)
    assert saved.state == State.NEW
    assert saved.priority == 3


def test_edits_are_saved_through_the_service_with_one_history_row(client, agent, incident):
    client.force_login(agent)
    data = form_data(client.get(change_url(incident)))
    data.update(summary="VPN drops every ten minutes for the whole floor", impact="high")
    history_before = incident.history.count()
    response = client.post(change_url(incident), data)
    assert response.status_code == 302
    saved = Incident.objects.get(pk=incident.pk)
    assert saved.summary == "VPN drops every ten minutes for the whole floor"
    assert saved.priority == 2  # recomputed from the matrix by the service
    assert saved.version == incident.version + 1
    assert incident.history.count() == history_before + 1
    last = incident.history.first()
    assert last.history_user == agent
    assert last.history_change_reason == "Edited impact, summary"
    assert IncidentEvent.objects.filter(incident=incident, kind=EventKind.CLASSIFICATION).exists()


def test_saving_without_changes_writes_nothing(client, agent, incident):
    client.force_login(agent)
    data = form_data(client.get(change_url(incident)))
    history_before = incident.history.count()
    assert client.post(change_url(incident), data).status_code == 302
    assert incident.history.count() == history_before


def test_form_opened_before_someone_elses_change_is_refused_and_keeps_what_was_typed(
    client, agent, resolver, incident
):
    client.force_login(agent)
    data = form_data(client.get(change_url(incident)))
    # Meanwhile a resolver takes the incident.
    services.transition(incident=incident.pk, user=resolver, name="claim")
    data["summary"] = "My careful rewording"
    response = client.post(change_url(incident), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert errors == [
        f"{incident.reference} was changed by nick since you opened it; reload the page to see their "
        "changes. Nothing was saved; what you typed is kept below."
    ]
    assert 'value="My careful rewording"' in response.content.decode()
    saved = Incident.objects.get(pk=incident.pk)
    assert saved.summary == "VPN drops every ten minutes"
    assert saved.assignee == resolver


def test_a_refusal_from_the_service_on_save_is_shown_on_the_form_not_a_500(
    client, agent, resolver, incident, monkeypatch
):
    """A change that slips in between the form's check and the save (possible on SQLite, whose
    SELECT ... FOR UPDATE does not lock) makes the service refuse; the user sees why."""
    real_save_edits = services.incident_save_edits

    def save_edits_after_a_concurrent_claim(**kwargs):
        services.transition(incident=kwargs["incident"].pk, user=resolver, name="claim")
        return real_save_edits(**kwargs)

    monkeypatch.setattr(services, "incident_save_edits", save_edits_after_a_concurrent_claim)
    client.force_login(agent)
    data = form_data(client.get(change_url(incident)))
    data["summary"] = "Reworded while someone claims it"
    response = client.post(change_url(incident), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        f"{incident.reference} was changed by someone else a moment ago. Reload it and try again."
    ]
    assert 'value="Reworded while someone claims it"' in response.content.decode()
    saved = Incident.objects.get(pk=incident.pk)
    # The whole attempt rolled back, the concurrent claim included: nothing half-saved.
    assert saved.summary == "VPN drops every ten minutes"


def test_resolver_moving_an_incident_out_of_their_team_by_editing_is_refused_by_the_service(
    client, resolver, platform_team, incident
):
    client.force_login(resolver)
    data = form_data(client.get(change_url(incident)))
    data.update(team=platform_team.pk, summary="Not ours")
    response = client.post(change_url(incident), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "To hand the incident to another team, use “Route to team”."
    ]
    assert 'value="Not ours"' in response.content.decode()
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.team.slug, saved.summary) == ("network", "VPN drops every ten minutes")


def test_major_flag_and_parent_are_shown_not_edited_they_have_their_own_actions(client, agent, incident):
    client.force_login(agent)
    response = client.get(change_url(incident))
    form = response.context["adminform"].form
    assert "is_major" not in form.fields and "parent" not in form.fields
    data = form_data(response)
    data.update(parent=incident.pk, is_major="on", summary="Reworded")
    assert client.post(change_url(incident), data).status_code == 302
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.parent, saved.is_major, saved.summary) == (None, False, "Reworded")


def test_assignee_who_cannot_work_on_the_team_is_refused(client, agent, other_resolver, incident):
    client.force_login(agent)
    data = form_data(client.get(change_url(incident)))
    data["assignee"] = other_resolver.pk
    response = client.post(change_url(incident), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["assignee"] == [
        "paula cannot work on incidents of Network."
    ]
    assert Incident.objects.get(pk=incident.pk).assignee is None


def test_resolver_of_another_team_sees_the_incident_read_only(client, other_resolver, incident):
    client.force_login(other_resolver)
    response = client.get(change_url(incident))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="summary"' not in html and 'name="loaded_version"' not in html
    assert response.context["transitions"] == []
    assert response.context["comment_form"] is None
    response = client.post(change_url(incident), {"summary": "Hijacked"})
    assert response.status_code == 403
    assert Incident.objects.get(pk=incident.pk).summary == "VPN drops every ten minutes"


# --- transition buttons ----------------------------------------------------------------------------
def buttons(response) -> list[str]:
    return re.findall(r'data-transition="([a-z_]+)"', response.content.decode())


@pytest.mark.parametrize("role, expected", [
    ("agent", ["triage", "claim", "start", "route", "cancel"]),
    ("resolver", ["claim", "start", "route"]),
    ("other_resolver", []),
    ("manager", ["triage", "claim", "start", "route", "cancel"]),
])
def test_buttons_offer_exactly_the_transitions_the_user_may_take_on_a_new_incident(
    client, request, incident, role, expected
):
    client.force_login(request.getfixturevalue(role))
    assert buttons(client.get(change_url(incident))) == expected


def test_buttons_follow_the_state(client, resolver, incident):
    services.transition(incident=incident.pk, user=resolver, name="claim")
    client.force_login(resolver)
    assert buttons(client.get(change_url(incident))) == ["route", "hold", "resolve"]
    services.transition(incident=incident.pk, user=resolver, name="resolve",
                        resolution_code="fixed", resolution_notes="Replaced the token.")
    assert buttons(client.get(change_url(incident))) == ["close", "reopen"]


# --- comments --------------------------------------------------------------------------------------
def test_work_note_is_added_through_the_service(client, resolver, incident):
    client.force_login(resolver)
    response = client.post(reverse("admin:incidents_incident_comment", args=[incident.pk]), {
        "body": "Tunnel logs show DPD timeouts.", "visibility": "note",
    })
    assert response.status_code == 302
    assert response["Location"] == change_url(incident) + "#comments"
    comment = Comment.objects.get(incident=incident)
    assert (comment.author, comment.public, comment.body) == (resolver, False, "Tunnel logs show DPD timeouts.")
    assert IncidentEvent.objects.filter(incident=incident, kind=EventKind.COMMENT, comment=comment).exists()


def test_public_reply_counts_as_first_response(client, agent, incident):
    client.force_login(agent)
    client.post(reverse("admin:incidents_incident_comment", args=[incident.pk]), {
        "body": "We are looking into it.", "visibility": "reply",
    })
    assert Comment.objects.get(incident=incident).public is True
    assert Incident.objects.get(pk=incident.pk).responded_at is not None


def test_empty_comment_is_refused_with_the_form_shown_again(client, agent, incident):
    client.force_login(agent)
    response = client.post(reverse("admin:incidents_incident_comment", args=[incident.pk]), {
        "body": "", "visibility": "reply",
    })
    assert response.status_code == 400
    assert "body" in response.context["form"].errors
    assert not Comment.objects.exists()


def test_resolver_of_another_team_cannot_comment(client, other_resolver, incident):
    client.force_login(other_resolver)
    response = client.post(reverse("admin:incidents_incident_comment", args=[incident.pk]), {
        "body": "Drive-by note", "visibility": "note",
    })
    assert response.status_code == 409
    assert response.context["form"].non_field_errors() == ["You may not comment on this incident."]
    assert 'Drive-by note' in response.content.decode()
    assert not Comment.objects.exists()


def test_existing_comments_are_shown_read_only(client, agent, resolver, incident):
    services.comment_add(incident=incident, author=resolver, body="Checked the concentrator.", public=False)
    client.force_login(agent)
    html = client.get(change_url(incident)).content.decode()
    assert "Checked the concentrator." in html
    assert "comments-TOTAL_FORMS" not in html  # no inline formset that would bypass the service


# --- the timeline ----------------------------------------------------------------------------------
def test_timeline_shows_events_oldest_first_with_actor_and_states(client, agent, resolver, incident):
    services.transition(incident=incident.pk, user=agent, name="triage", reason="Confirmed by phone")
    services.transition(incident=incident.pk, user=resolver, name="claim")
    client.force_login(agent)
    response = client.get(change_url(incident))
    events = response.context["timeline"]
    assert [(e.kind, e.transition) for e in events] == [
        ("created", ""), ("transition", "triage"), ("transition", "claim"),
    ]
    html = response.content.decode()
    assert "New &rarr; Triaged" in html and "Triaged &rarr; In progress" in html
    assert "Confirmed by phone" in html


def test_change_page_query_count_does_not_grow_with_the_timeline(client, agent, resolver, incident):
    client.force_login(agent)
    client.get(change_url(incident))
    with CaptureQueriesContext(connection) as short:
        client.get(change_url(incident))
    for n in range(20):
        services.comment_add(incident=incident, author=resolver, body=f"Note {n}", public=False)
    with CaptureQueriesContext(connection) as long:
        client.get(change_url(incident))
    assert len(long.captured_queries) == len(short.captured_queries)


# --- confidentiality -------------------------------------------------------------------------------
def test_confidential_incident_is_not_found_by_non_members(client, resolver, agent, confidential):
    for user in (resolver, agent):
        client.force_login(user)
        response = client.get(change_url(confidential))
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:index")
        for url in (
            reverse("admin:incidents_incident_transition", args=[confidential.pk, "claim"]),
            reverse("admin:incidents_incident_comment", args=[confidential.pk]),
        ):
            assert client.get(url).status_code == 404
        assert client.get(reverse("admin:incidents_incident_history", args=[confidential.pk])).status_code == 302


def test_confidential_incident_is_open_to_its_team_and_incident_managers(client, manager, security_team, confidential):
    member = UserFactory(username="sam", role="Resolver", team=security_team)
    for user in (manager, member):
        client.force_login(user)
        assert client.get(change_url(confidential)).status_code == 200


# --- history ---------------------------------------------------------------------------------------
def test_history_lists_changes_with_who_and_why(client, agent, resolver, incident):
    services.transition(incident=incident.pk, user=agent, name="triage", reason="Confirmed by phone")
    services.transition(incident=incident.pk, user=resolver, name="claim")
    client.force_login(agent)
    response = client.get(reverse("admin:incidents_incident_history", args=[incident.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Triage: Confirmed by phone" in html
    # Labels, not stored values; an empty assignee is a dash, not a "deleted user".
    assert re.search(r"Triaged\s*&nbsp;&rarr;&nbsp;&nbsp;In progress", html)
    assert re.search(r"—\s*&nbsp;&rarr;&nbsp;&nbsp;nick", html)
    assert f"/history/{incident.history.first().history_id}/" not in html  # no revert links


def test_reverting_an_incident_from_history_is_blocked(client, manager, agent, incident):
    services.transition(incident=incident.pk, user=agent, name="triage")
    first_version = incident.history.last()
    client.force_login(manager)
    url = reverse("admin:incidents_incident_simple_history", args=[incident.pk, first_version.history_id])
    history_before = incident.history.count()
    for response in (client.get(url), client.post(url, {"summary": "Reverted", "_save": "Revert"})):
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:incidents_incident_history", args=[incident.pk])
        assert messages_of(response)[-1:] == [
            f"{incident.reference} cannot be reverted to an earlier version: its state changes only through "
            "transitions, and edits are made on the incident itself. The history below shows every change."
        ]
    saved = Incident.objects.get(pk=incident.pk)
    assert saved.state == State.TRIAGED
    assert saved.summary == "VPN drops every ten minutes"
    assert incident.history.count() == history_before


# --- logging an incident for someone ---------------------------------------------------------------
def test_agent_logs_a_phone_incident_for_a_reporter_through_the_service(client, agent, reporter, network_category):
    client.force_login(agent)
    response = client.post(reverse("admin:incidents_incident_add"), {
        "reporter_login": "rita@example.com", "channel": Channel.PHONE, "summary": "Printer on 3rd floor jams",
        "description": "", "category": network_category.pk, "service": "", "impact": "low", "urgency": "high",
        "team": "",
    })
    assert response.status_code == 302
    incident = Incident.objects.get(summary="Printer on 3rd floor jams")
    assert response["Location"] == change_url(incident)
    assert (incident.reporter, incident.channel, incident.priority, incident.team.slug) == (
        reporter, Channel.PHONE, 3, "network",
    )
    history = incident.history.get()
    assert (history.history_user, history.history_change_reason) == (agent, "Opened via Phone")
    assert IncidentEvent.objects.get(incident=incident).kind == EventKind.CREATED


def test_add_form_refuses_an_unknown_reporter(client, agent):
    client.force_login(agent)
    response = client.post(reverse("admin:incidents_incident_add"), {
        "reporter_login": "nobody", "channel": Channel.PHONE, "summary": "Something", "impact": "low",
        "urgency": "low",
    })
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reporter_login"] == [
        "No user has that user name or e-mail address."
    ]
    assert not Incident.objects.exists()


def test_resolvers_cannot_log_incidents_in_the_admin(client, resolver):
    client.force_login(resolver)
    assert client.get(reverse("admin:incidents_incident_add")).status_code == 403


def test_incidents_cannot_be_deleted(client, manager, incident):
    client.force_login(manager)
    assert client.post(reverse("admin:incidents_incident_delete", args=[incident.pk]), {"post": "yes"}).status_code == 403
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_an_agent_who_logs_a_confidential_incident_is_told_where_it_went(client, agent, reporter,
                                                                          security_category):
    """It said "added successfully" next to "doesn't exist. Perhaps it was deleted?"."""
    client.force_login(agent)
    response = client.post(reverse("admin:incidents_incident_add"), {
        "reporter_login": "rita@example.com", "channel": Channel.PHONE, "summary": "Phishing mail asked for my password",
        "description": "", "category": security_category.pk, "service": "", "impact": "medium", "urgency": "high",
        "team": "",
    }, follow=True)
    incident = Incident.objects.get(summary="Phishing mail asked for my password")
    page = response.content.decode()
    assert incident.confidential and response.redirect_chain[-1][0] == reverse("admin:incidents_incident_add")
    assert f"{incident.reference} was logged for" in page and f"went to the {incident.team} team" in page
    assert "doesn" not in page and "added successfully" not in page


def test_the_timeline_and_the_messages_speak_in_words_not_codes(client, agent, reporter, network_category):
    """It read "State change: triage (internal)" and "Triage done; it is now triaged."."""
    incident = make_incident(reporter=reporter, category=network_category)
    client.force_login(agent)
    response = client.post(reverse("admin:incidents_incident_transition", args=[incident.pk, "triage"]), {
        "category": incident.category_id, "impact": "low", "urgency": "low", "team": incident.team_id, "reason": "",
    }, follow=True)
    page = response.content.decode()
    assert f"{incident.reference} is triaged." in page
    assert "Triaged" in page and "triage (internal)" not in page and ": triage" not in page
