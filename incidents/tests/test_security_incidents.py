"""Security incidents: an incident manager flags one, incident managers and the security team name
who sees it, triage into a security category says so on the timeline, and the desk agent who
logged one by phone is told it moved to the security team instead of "does not exist"."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from core.errors import WorkflowError
from core.tests.api_support import token_client
from incidents import roles, security, services
from incidents.admin import security as security_admin
from incidents.models import Channel, EventKind, Incident

from .factories import CategoryFactory, TeamFactory, UserFactory, make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def secops(db):
    return TeamFactory(name="Security Operations", slug="secops", security=True)


@pytest.fixture
def breach(secops):
    return CategoryFactory(name="Security", default_team=secops, security=True)


@pytest.fixture
def sam(secops):
    return UserFactory(username="sam", role=roles.RESOLVER, team=secops)


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- flagging --------------------------------------------------------------------------------------
def test_an_incident_manager_flags_an_incident_and_it_goes_to_the_security_team(reporter, network_category,
                                                                               resolver, manager, secops):
    incident = make_incident(reporter=reporter, category=network_category)
    services.incident_assign(incident=incident, user=manager, assignee=resolver)
    flagged = security.flag_security(incident=incident, by=manager, reason="Beaconing to a known C2 host")
    assert flagged.security and flagged.confidential and flagged.team == secops
    assert flagged.assignee is None  # the Network resolver no longer works on it
    event = flagged.events.get(kind=EventKind.SECURITY)
    assert event.actor == manager and "Beaconing" in event.message and "Routed to Security Operations" in event.message
    assert flagged.history.first().history_change_reason.startswith("Flagged as a security incident")
    assert not roles.can_view(resolver, Incident.objects.get(pk=flagged.pk))


def test_only_an_incident_manager_flags_a_security_incident_with_a_sentence(reporter, network_category, agent,
                                                                           resolver):
    incident = make_incident(reporter=reporter, category=network_category)
    for person in (agent, resolver):
        with pytest.raises(WorkflowError, match="Only an incident manager flags"):
            security.flag_security(incident=incident, by=person, reason="Looks like phishing")
    incident.refresh_from_db()
    assert not incident.security and not incident.events.filter(kind=EventKind.SECURITY).exists()


def test_flagging_without_a_reason_or_twice_is_refused_and_nothing_is_half_saved(reporter, network_category,
                                                                                manager, secops):
    incident = make_incident(reporter=reporter, category=network_category)
    with pytest.raises(WorkflowError, match="Say why"):
        security.flag_security(incident=incident, by=manager, reason="  ")
    security.flag_security(incident=incident, by=manager, reason="Credential stuffing")
    with pytest.raises(WorkflowError, match="already a security incident"):
        security.flag_security(incident=incident, by=manager, reason="Again")
    assert Incident.objects.get(pk=incident.pk).events.filter(kind=EventKind.SECURITY).count() == 1


def test_triage_into_a_security_category_is_a_security_event_on_the_timeline(reporter, agent, breach, secops):
    incident = make_incident(reporter=reporter)
    services.transition(incident=incident, user=agent, name="triage", category=breach, team=secops)
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.security and incident.confidential
    event = incident.events.get(kind=EventKind.SECURITY)
    assert event.actor == agent and "Security" in event.message


def test_an_edit_into_a_security_category_is_a_security_event_too(reporter, manager, breach, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    incident.category = breach
    services.incident_save_edits(incident=incident, user=manager, changed=["category"])
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.security and incident.events.filter(kind=EventKind.SECURITY, actor=manager).count() == 1


# --- participants ------------------------------------------------------------------------------------
def test_a_named_participant_sees_the_incident_until_removed(reporter, breach, manager, other_reporter):
    incident = make_incident(reporter=reporter, category=breach)
    assert not Incident.objects.visible_to(other_reporter).filter(pk=incident.pk).exists()
    security.name_participant(incident=incident, person=other_reporter, by=manager, reason="Legal counsel")
    assert Incident.objects.visible_to(other_reporter).filter(pk=incident.pk).exists()
    assert roles.can_view(other_reporter, Incident.objects.get(pk=incident.pk))
    security.remove_participant(incident=incident, person=other_reporter, by=manager)
    assert not Incident.objects.visible_to(other_reporter).filter(pk=incident.pk).exists()
    messages = list(incident.events.filter(kind=EventKind.SECURITY).values_list("message", flat=True))
    assert any("Named oscar as a participant: Legal counsel" in m for m in messages)
    assert any("Removed oscar from the participants" in m for m in messages)


def test_the_security_team_names_participants_and_others_may_not(reporter, breach, sam, agent, other_reporter):
    incident = make_incident(reporter=reporter, category=breach)
    security.name_participant(incident=incident, person=other_reporter, by=sam)
    with pytest.raises(WorkflowError, match="Only incident managers and the security team"):
        security.remove_participant(incident=incident, person=other_reporter, by=agent)
    with pytest.raises(WorkflowError, match="already named"):
        security.name_participant(incident=incident, person=other_reporter, by=sam)


# --- the desk agent who logged it --------------------------------------------------------------------
def _log_by_phone(client, agent, reporter, category):
    client.force_login(agent)
    return client.post(reverse("admin:incidents_incident_add"), {
        "reporter_login": reporter.username, "channel": Channel.PHONE, "summary": "Phishing mail with a login form",
        "description": "Clicked it.", "category": category.pk, "impact": "medium", "urgency": "medium",
    })


def test_a_desk_agent_who_logs_a_security_incident_lands_on_the_list_told_it_moved(client, agent, reporter, breach):
    response = _log_by_phone(client, agent, reporter, breach)
    incident = Incident.objects.get(summary="Phishing mail with a login form")
    assert incident.security
    assert response.status_code == 302 and response["Location"] == reverse("admin:incidents_incident_changelist")
    said = " ".join(_messages(response))
    assert incident.reference in said and "moved to the security team" in said


def test_opening_it_later_tells_who_logged_it_where_it_went_and_nobody_else(client, agent, reporter, breach,
                                                                           desk_team):
    _log_by_phone(client, agent, reporter, breach)
    incident = Incident.objects.get(summary="Phishing mail with a login form")
    url = reverse("admin:incidents_incident_change", args=[incident.pk])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == reverse("admin:incidents_incident_changelist")
    assert any("moved to the security team" in m for m in _messages(response))
    colleague = UserFactory(username="dora", role=roles.DESK_AGENT, team=desk_team)
    client.force_login(colleague)
    response = client.get(url)
    said = " ".join(_messages(response))
    assert "moved to the security team" not in said and incident.reference not in said
    assert "doesn’t exist" in said or "doesn't exist" in said


def test_the_api_tells_who_logged_it_that_it_moved_and_answers_404_to_others(agent, reporter, breach, desk_team):
    api = token_client(agent)
    created = api.post("/api/v1/incidents/", {"summary": "Ransom note on a share", "category": breach.pk,
                                              "reporter": reporter.username, "channel": "phone"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["access"] == "none" and body["reference"].startswith("INC-")
    assert "moved to the security team" in body["detail"]
    detail = api.get(f"/api/v1/incidents/{body['reference']}/")
    assert detail.status_code == 403 and "moved to the security team" in detail.json()["detail"]
    colleague = UserFactory(username="dora", role=roles.DESK_AGENT, team=desk_team)
    assert token_client(colleague).get(f"/api/v1/incidents/{body['reference']}/").status_code == 404


# --- the admin's security panel ----------------------------------------------------------------------
def test_an_incident_manager_flags_from_the_change_page_with_a_reason(client, manager, reporter, network_category,
                                                                     secops):
    incident = make_incident(reporter=reporter, category=network_category)
    client.force_login(manager)
    page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk])).content.decode()
    assert "Flag as security incident" in page
    response = client.post(reverse("admin:incidents_incident_flag_security", args=[incident.pk]),
                           {"reason": "Data sent to an unknown host"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.security and incident.team == secops
    assert any("is a security incident now" in m for m in _messages(response))


def test_a_desk_agent_is_offered_no_flag_and_a_post_is_refused(client, agent, reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    client.force_login(agent)
    page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk])).content.decode()
    assert "Flag as security incident" not in page
    response = client.post(reverse("admin:incidents_incident_flag_security", args=[incident.pk]), {"reason": "x"})
    assert any("Only an incident manager" in m for m in _messages(response))
    incident.refresh_from_db()
    assert not incident.security


def test_participants_are_named_and_removed_from_the_change_page(client, manager, reporter, breach, other_reporter):
    incident = make_incident(reporter=reporter, category=breach)
    client.force_login(manager)
    url = reverse("admin:incidents_incident_participants", args=[incident.pk])
    candidates = client.get(reverse("admin:incidents_incident_participant_candidates", args=[incident.pk]),
                            {"term": "osc"}).json()
    assert [row["id"] for row in candidates["results"]] == [str(other_reporter.pk)]
    client.post(url, {"person": other_reporter.pk, "reason": "Counsel"})
    assert list(incident.participants.all()) == [other_reporter]
    page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk])).content.decode()
    assert "Named participant" in page and "oscar" in page and "admin-autocomplete" in page
    client.post(url, {"remove": other_reporter.pk})
    assert not incident.participants.exists()


def test_the_candidates_are_refused_to_who_may_not_name(client, reporter, breach, manager, other_reporter):
    incident = make_incident(reporter=reporter, category=breach)
    staff_participant = UserFactory(username="pete", role=roles.DESK_AGENT)
    security.name_participant(incident=incident, person=staff_participant, by=manager)
    client.force_login(staff_participant)
    url = reverse("admin:incidents_incident_participant_candidates", args=[incident.pk])
    assert client.get(url, {"term": "osc"}).status_code == 403


def test_security_incidents_are_marked_in_the_changelist(client, manager, reporter, breach, network_category):
    make_incident(reporter=reporter, category=breach, summary="Ransom note")
    make_incident(reporter=reporter, category=network_category, summary="Printer offline")
    client.force_login(manager)
    page = client.get(reverse("admin:incidents_incident_changelist")).content.decode()
    assert page.count('class="security-badge"') == 1
    filtered = client.get(reverse("admin:incidents_incident_changelist"), {"security__exact": "1"})
    assert [i.summary for i in filtered.context["cl"].result_list] == ["Ransom note"]


def test_a_staff_participant_reads_the_change_page_but_may_not_edit_it(client, reporter, breach, manager):
    incident = make_incident(reporter=reporter, category=breach)
    pete = UserFactory(username="pete", role=roles.DESK_AGENT)
    security.name_participant(incident=incident, person=pete, by=manager)
    client.force_login(pete)
    response = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]


def test_the_participant_candidates_cost_the_same_queries_for_1_and_50_people(client, manager, reporter, breach):
    from core.tests.api_support import count_queries

    incident = make_incident(reporter=reporter, category=breach)
    client.force_login(manager)
    url = reverse("admin:incidents_incident_participant_candidates", args=[incident.pk])
    UserFactory(username="cand-0", role=roles.REPORTER)
    one, response = count_queries(lambda: client.get(url, {"term": "cand-"}))
    assert len(response.json()["results"]) == 1
    for n in range(1, 50):
        UserFactory(username=f"cand-{n}", role=roles.REPORTER)
    many, response = count_queries(lambda: client.get(url, {"term": "cand-"}))
    assert len(response.json()["results"]) == security_admin.CANDIDATES_SHOWN
    assert one == many
