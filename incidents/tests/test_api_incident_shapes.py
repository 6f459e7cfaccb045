"""What of an incident each caller reads: those who see it for their work get all of it (`access`:
`staff`); its reporter what the portal's incident page shows them (`reporter`), a staff member who
reported a confidential incident included; and whoever opened or changed an incident they may not
see, a receipt (`none`). The shape is chosen for each incident, in every answer that has one."""

from __future__ import annotations

import pytest

from core.tests.api_support import assert_error
from incidents import services
from incidents.models import Incident

from .factories import CategoryFactory, make_incident

URL = "/api/v1/incidents/"
# What the portal's incident page shows its reporter, and how the API tells the shape.
REPORTER_FIELDS = {
    "access", "id", "reference", "summary", "description", "state", "priority", "category", "service", "team",
    "resolution_notes", "opened_at", "updated_at", "resolved_at", "closed_at",
}
RECEIPT_FIELDS = {"access", "id", "reference", "detail"}
INTERNAL = {"workaround", "assignee", "parent", "is_major", "sla", "hold_reason", "confidential", "reporter",
            "channel", "version"}


def url_of(incident: Incident) -> str:
    return f"{URL}{incident.reference}/"


@pytest.fixture
def network(actors):
    return CategoryFactory(name="Network", default_team=actors.team)


@pytest.fixture
def security(actors):
    return CategoryFactory(name="Security", default_team=actors.team, confidential=True)


@pytest.fixture
def worked(actors, network, security):
    """Rita's incident with internal work on it: an assignee, a workaround that is not public (a
    known error's), a major flag and a confidential parent."""
    incident = make_incident(reporter=actors["reporter"], category=network)
    parent = make_incident(reporter=actors["other_reporter"], category=security, summary="Phishing wave")
    services.transition(incident=incident, user=actors["team_resolver"], name="claim")
    Incident.objects.filter(pk=incident.pk).update(workaround="Restart the concentrator (internal only)",
                                                   is_major=True, parent=parent)
    return Incident.objects.get(pk=incident.pk)


def test_a_reporter_reads_their_incident_as_the_portal_shows_it(actors, worked):
    body = actors.client("reporter").get(url_of(worked)).json()
    assert set(body) == REPORTER_FIELDS
    assert body["access"] == "reporter" and body["state"] == "in_progress"
    assert body["team"] == {"id": actors.team.pk, "name": "Network"}
    assert "internal only" not in str(body)


def test_staff_who_work_on_it_read_all_of_it(actors, worked):
    body = actors.client("team_resolver").get(url_of(worked)).json()
    assert body["access"] == "staff" and set(body) >= INTERNAL
    assert body["workaround"].endswith("(internal only)") and body["assignee"]["username"] == "nick"


def test_staff_who_reported_a_confidential_incident_read_it_as_its_reporter(actors, security):
    own = make_incident(reporter=actors["desk_agent"], category=security, summary="I clicked the phishing link")
    Incident.objects.filter(pk=own.pk).update(workaround="Reset the agent's SSO session (internal)")
    body = actors.client("desk_agent").get(url_of(own)).json()
    assert set(body) == REPORTER_FIELDS and body["access"] == "reporter"
    # The team that investigates it reads the whole of it.
    assert actors.client("team_resolver").get(url_of(own)).json()["access"] == "staff"


def test_a_list_gives_each_incident_the_shape_its_reader_may_see(actors, network, security):
    own = make_incident(reporter=actors["desk_agent"], category=security, summary="I clicked the phishing link")
    ordinary = make_incident(reporter=actors["reporter"], category=network)
    rows = {row["id"]: row for row in actors.client("desk_agent").get(URL).json()["results"]}
    assert set(rows) == {own.pk, ordinary.pk}
    assert set(rows[own.pk]) == REPORTER_FIELDS
    assert rows[ordinary.pk]["access"] == "staff" and "workaround" in rows[ordinary.pk]


def test_what_a_reporter_writes_is_answered_in_the_reporter_shape(actors, network):
    client = actors.client("reporter")
    created = client.post(URL, {"summary": "Printer jams", "category": network.pk})
    assert created.status_code == 201 and set(created.json()) == REPORTER_FIELDS
    incident = Incident.objects.get(pk=created.json()["id"])
    cancelled = client.post(f"{url_of(incident)}transitions/cancel/", {"reason": "It works again"})
    assert cancelled.status_code == 200, cancelled.content
    assert set(cancelled.json()) == REPORTER_FIELDS and cancelled.json()["state"] == "cancelled"


# --- an incident the caller may not see ------------------------------------------------------------
def test_the_desk_logging_a_confidential_incident_is_told_where_it_went_not_shown_it(actors, security):
    client = actors.client("desk_agent")
    data = {"summary": "Rita got a phishing mail", "reporter": "rita", "channel": "phone", "category": security.pk}
    response = client.post(URL, data, HTTP_IDEMPOTENCY_KEY="phone-call-1")
    assert response.status_code == 201, response.content
    body = response.json()
    incident = Incident.objects.get(pk=body["id"])
    assert body == {"access": "none", "id": incident.pk, "reference": incident.reference,
                    "detail": f"{incident.reference} went to the Network team's confidential queue: only that team "
                              "and the incident managers may open it, so it is not shown to you."}
    assert_error(client.get(url_of(incident)), 404, "not_found")


def test_replaying_the_key_does_not_show_the_desk_the_incident_it_may_not_see(actors, security):
    client = actors.client("desk_agent")
    data = {"summary": "Rita got a phishing mail", "reporter": "rita", "channel": "phone", "category": security.pk}
    first = client.post(URL, data, HTTP_IDEMPOTENCY_KEY="phone-call-1")
    incident = Incident.objects.get(pk=first.json()["id"])
    # Meanwhile the Security team works on it.
    services.transition(incident=incident, user=actors["team_resolver"], name="claim")
    Incident.objects.filter(pk=incident.pk).update(workaround="Block the sender domain (internal)")
    again = client.post(URL, data, HTTP_IDEMPOTENCY_KEY="phone-call-1")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert set(again.json()) == RECEIPT_FIELDS
    assert Incident.objects.count() == 1


def test_a_reporters_replay_shows_them_the_reporter_shape_of_the_incident_as_it_is_now(actors, network):
    client = actors.client("reporter")
    data = {"summary": "Outlook crashes", "category": network.pk}
    first = client.post(URL, data, HTTP_IDEMPOTENCY_KEY="retry-me")
    incident = Incident.objects.get(pk=first.json()["id"])
    services.transition(incident=incident, user=actors["desk_agent"], name="claim")
    Incident.objects.filter(pk=incident.pk).update(workaround="Known error KE-7 (not public)")
    again = client.post(URL, data, HTTP_IDEMPOTENCY_KEY="retry-me")
    assert again.status_code == 200 and set(again.json()) == REPORTER_FIELDS
    assert again.json()["state"] == "in_progress" and "not public" not in str(again.json())


def test_an_edit_that_takes_the_incident_out_of_the_editors_sight_answers_a_receipt(actors, network):
    incident = make_incident(reporter=actors["reporter"], category=network)
    client = actors.client("desk_agent")
    response = client.patch(url_of(incident), {"confidential": True})
    assert response.status_code == 200, response.content
    assert set(response.json()) == RECEIPT_FIELDS
    assert "the Network team's confidential queue" in response.json()["detail"]
    assert_error(client.get(url_of(incident)), 404, "not_found")
