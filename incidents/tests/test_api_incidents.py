"""The incidents API: who sees and changes which incident, how one is opened (the portal's rules:
priority from impact and urgency, the desk logs for others, a retried request opens one), how it
is addressed, and how it is edited (the admin's editable fields, through the same service)."""

from __future__ import annotations

import pytest

from core.tests.api_support import EVERYONE, EndpointContract, assert_error, token_client
from incidents import services
from incidents.models import Channel, Incident

from .factories import CategoryFactory, make_incident

URL = "/api/v1/incidents/"


def url_of(incident: Incident) -> str:
    return f"{URL}{incident.reference}/"


@pytest.fixture
def network(actors):
    return CategoryFactory(name="Network", default_team=actors.team)


@pytest.fixture
def incident(actors, network):
    return make_incident(reporter=actors["reporter"], category=network)


# --- the contracts ---------------------------------------------------------------------------------
class TestIncidentContract(EndpointContract):
    """An ordinary incident: its reporter and all staff see it; those who work on it edit it."""

    list_url = URL
    readers = EVERYONE - {"other_reporter"}
    creators = EVERYONE  # everyone signed in reports incidents of their own
    updaters = frozenset({"desk_agent", "team_resolver", "incident_manager"})
    confidential = False

    def category(self, actors):
        return CategoryFactory(name="Security" if self.confidential else "Network", default_team=actors.team,
                               confidential=self.confidential)

    def make(self, actors):
        return make_incident(reporter=actors["reporter"], category=self.category(actors))

    def detail_url(self, obj) -> str:
        return url_of(obj)

    def create_data(self, actors) -> dict:
        return {"summary": "Cannot print on the 3rd floor", "category": self.category(actors).pk,
                "impact": "medium", "urgency": "low"}

    def update_data(self, actors, obj) -> dict:
        return {"summary": "VPN down for the whole Lyon office"}


class TestConfidentialIncidentContract(TestIncidentContract):
    """A confidential (Security) incident: its reporter, its team and the incident managers only.
    The desk agent may work on every incident but does not see this one, so it is 404 to them."""

    readers = frozenset({"reporter", "team_resolver", "incident_manager"})
    updaters = frozenset({"team_resolver", "incident_manager"})
    confidential = True


# --- opening an incident ---------------------------------------------------------------------------
def test_reporter_cannot_set_priority_it_comes_from_impact_and_urgency(actors):
    client = actors.client("reporter")
    urgent = client.post(URL, {"summary": "Payroll down", "impact": "high", "urgency": "high", "priority": 4})
    assert urgent.status_code == 201, urgent.content
    assert urgent.json()["priority"] == 1
    minor = client.post(URL, {"summary": "Mouse squeaks", "impact": "low", "urgency": "low", "priority": 1})
    assert minor.json()["priority"] == 4
    assert Incident.objects.get(reference=minor.json()["reference"]).priority == 4


def test_an_incident_opened_through_the_api_says_so_on_its_timeline(actors):
    response = actors.client("reporter").post(URL, {"summary": "Payroll export fails"})
    incident = Incident.objects.get(reference=response.json()["reference"])
    assert incident.channel == Channel.API
    assert incident.events.get().message == "Opened via API"


def test_reporter_reports_for_themselves_only(actors):
    response = actors.client("reporter").post(URL, {"summary": "Oscar's laptop is broken", "reporter": "oscar"})
    body = assert_error(response, 403, "permission_denied")
    assert "reporter" in body["detail"]
    assert not Incident.objects.exists()


def test_reporter_may_name_themselves_as_the_reporter(actors):
    response = actors.client("reporter").post(URL, {"summary": "My laptop is broken", "reporter": "rita"})
    assert response.status_code == 201
    assert Incident.objects.get(pk=response.json()["id"]).reporter == actors["reporter"]


@pytest.mark.parametrize("field", ["channel", "team"])
def test_reporter_may_not_choose_the_channel_or_the_queue(actors, field):
    value = "phone" if field == "channel" else actors.other_team.pk
    response = actors.client("reporter").post(URL, {"summary": "Printer jam", field: value})
    assert_error(response, 403, "permission_denied")


def test_desk_agent_logs_a_phoned_in_incident_for_the_reporter(actors, network):
    response = actors.client("desk_agent").post(URL, {
        "summary": "VPN refuses the token", "reporter": "rita", "channel": "phone", "category": network.pk,
        "impact": "medium", "urgency": "high",
    })
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reporter"]["username"] == "rita" and body["channel"] == Channel.PHONE
    assert body["team"]["id"] == actors.team.pk  # the category's default team
    assert body["priority"] == 2
    assert response["Location"] == url_of(Incident.objects.get(pk=body["id"]))
    incident = Incident.objects.get(pk=body["id"])
    assert incident.events.get(kind="created").actor == actors["desk_agent"]
    assert incident.history.earliest().history_user == actors["desk_agent"]


@pytest.mark.parametrize(("field", "existing", "missing"), [("reporter", "dana", "nobody-by-that-name"),
                                                            ("team", "network", 999_999)])
def test_who_may_not_log_for_others_cannot_learn_whether_a_user_or_team_exists(actors, field, existing, missing):
    """The staff-only fields are refused before they are looked up: the same 403 for a user name
    (or a team) that exists and for one that does not."""
    value = actors.team.pk if existing == "network" else existing
    client = actors.client("reporter")
    known = client.post(URL, {"summary": "Printer jam", field: value})
    unknown = client.post(URL, {"summary": "Printer jam", field: missing})
    assert assert_error(known, 403, "permission_denied") == assert_error(unknown, 403, "permission_denied")
    assert not Incident.objects.exists()


def test_resolver_cannot_log_an_incident_for_someone_else(actors):
    response = actors.client("team_resolver").post(URL, {"summary": "Rita's VPN", "reporter": "rita"})
    assert_error(response, 403, "permission_denied")


def test_an_unknown_reporter_is_400(actors):
    response = actors.client("desk_agent").post(URL, {"summary": "VPN", "reporter": "nobody-by-that-name"})
    body = assert_error(response, 400, "invalid")
    assert "reporter" in body["errors"]


def test_a_create_without_a_summary_is_400_naming_the_field(actors):
    body = assert_error(actors.client("reporter").post(URL, {"impact": "high"}), 400, "invalid")
    assert list(body["errors"]) == ["summary"]


def test_retried_create_with_the_same_idempotency_key_opens_one_incident(actors):
    client = actors.client("reporter")
    data = {"summary": "Outlook crashes on start", "impact": "medium", "urgency": "medium"}
    first = client.post(URL, data, HTTP_IDEMPOTENCY_KEY="7f3c-retry-me")
    again = client.post(URL, data, HTTP_IDEMPOTENCY_KEY="7f3c-retry-me")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Incident.objects.count() == 1


def test_the_same_idempotency_key_from_two_people_opens_two_incidents(actors):
    data = {"summary": "Outlook crashes on start"}
    mine = actors.client("reporter").post(URL, data, HTTP_IDEMPOTENCY_KEY="1")
    theirs = actors.client("other_reporter").post(URL, data, HTTP_IDEMPOTENCY_KEY="1")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


def test_requests_without_an_idempotency_key_each_open_an_incident(actors):
    client = actors.client("reporter")
    client.post(URL, {"summary": "Outlook crashes"})
    client.post(URL, {"summary": "Outlook crashes"})
    assert Incident.objects.count() == 2


def test_an_overlong_idempotency_key_is_400(actors):
    response = actors.client("reporter").post(URL, {"summary": "x"}, HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert "Idempotency-Key" in assert_error(response, 400, "invalid")["errors"]


def test_oversize_body_is_413(actors, settings):
    settings.ITSM_API_MAX_BODY_BYTES = 2048
    response = actors.client("reporter").post(URL, {"summary": "Log", "description": "x" * 5000})
    assert_error(response, 413, "payload_too_large")
    assert not Incident.objects.exists()


# --- addressing and seeing -------------------------------------------------------------------------
def test_reference_and_id_address_the_same_incident(actors, incident):
    client = actors.client("desk_agent")
    by_reference = client.get(f"{URL}{incident.reference}/")
    by_id = client.get(f"{URL}{incident.pk}/")
    lower_case = client.get(f"{URL}{incident.reference.lower()}/")
    assert by_reference.status_code == by_id.status_code == lower_case.status_code == 200
    assert by_reference.json() == by_id.json() == lower_case.json()
    assert by_reference.json()["reference"] == incident.reference


@pytest.mark.parametrize("key", ["INC-999999", "999999", "²", "9" * 30])
def test_a_key_that_addresses_no_incident_is_404(actors, incident, key):
    assert_error(actors.client("incident_manager").get(f"{URL}{key}/"), 404, "not_found")


def test_confidential_incident_is_404_for_an_outsider_resolver(actors):
    security = CategoryFactory(name="Security", default_team=actors.team, confidential=True)
    secret = make_incident(reporter=actors["reporter"], category=security, summary="Phishing mail")
    client = actors.client("other_resolver")
    hidden = client.get(url_of(secret))
    missing = client.get(f"{URL}INC-999999/")
    assert assert_error(hidden, 404, "not_found") == assert_error(missing, 404, "not_found")
    assert assert_error(client.get(f"{URL}{secret.pk}/"), 404)["detail"] == hidden.json()["detail"]
    assert client.get(URL, {"search": "Phishing"}).json()["results"] == []


def test_reporter_sees_their_own_incidents_and_no_one_elses(actors, network):
    mine = make_incident(reporter=actors["reporter"], category=network)
    make_incident(reporter=actors["other_reporter"], category=network)
    rows = actors.client("reporter").get(URL).json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]


def test_the_incident_carries_its_classification_and_sla_clock(actors, incident):
    body = actors.client("team_resolver").get(url_of(incident)).json()
    assert body["category"] == {"id": incident.category_id, "name": "Network"}
    assert body["team"] == {"id": actors.team.pk, "name": "Network"}
    assert body["state"] == "new" and body["version"] == incident.version
    assert body["sla"]["respond_by"] is not None and body["sla"]["response_breached"] is False


# --- editing ---------------------------------------------------------------------------------------
def test_reporter_may_not_patch_staff_fields(actors, incident):
    response = actors.client("reporter").patch(url_of(incident), {"impact": "high", "urgency": "high"})
    assert_error(response, 403, "permission_denied")
    incident.refresh_from_db()
    assert (incident.impact, incident.priority) == ("low", 4)


def test_patch_changes_priority_only_through_impact_and_urgency(actors, incident):
    client = actors.client("desk_agent")
    raised = client.patch(url_of(incident), {"impact": "high", "urgency": "high", "priority": 4})
    assert raised.status_code == 200, raised.content
    assert raised.json()["priority"] == 1
    assert client.patch(url_of(incident), {"priority": 4}).json()["priority"] == 1


def test_an_edit_goes_through_the_service_with_history_and_event(actors, incident):
    response = actors.client("team_resolver").patch(url_of(incident), {"summary": "  VPN down\tin Lyon  ",
                                                                        "urgency": "medium"})
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.summary == "VPN down in Lyon"  # cleaned as the admin's edits are
    last = incident.history.latest()
    assert last.history_user == actors["team_resolver"]
    assert last.history_change_reason == "Edited summary, urgency"


def test_a_resolver_hands_an_incident_to_another_team_by_routing_not_by_editing(actors, incident):
    response = actors.client("team_resolver").patch(url_of(incident), {"team": actors.other_team.pk})
    assert "Route to team" in assert_error(response, 409, "refused")["detail"]
    incident.refresh_from_db()
    assert incident.team == actors.team


def test_the_desk_moves_an_incident_to_another_team_by_editing(actors, incident):
    response = actors.client("desk_agent").patch(url_of(incident), {"team": actors.other_team.pk})
    assert response.json()["team"]["id"] == actors.other_team.pk


def test_an_assignee_who_cannot_work_on_the_team_is_refused(actors, incident):
    response = actors.client("desk_agent").patch(url_of(incident), {"assignee": actors["other_resolver"].pk})
    assert "cannot work on incidents of Network" in assert_error(response, 409, "refused")["detail"]


def test_a_reporter_cannot_be_made_the_assignee(actors, incident):
    response = actors.client("desk_agent").patch(url_of(incident), {"assignee": actors["reporter"].pk})
    assert "assignee" in assert_error(response, 400, "invalid")["errors"]


def test_stale_edit_is_409(actors, incident):
    loaded = actors.client("desk_agent").get(url_of(incident)).json()["version"]
    actors.client("team_resolver").patch(url_of(incident), {"summary": "Someone else's edit"})
    response = actors.client("desk_agent").patch(url_of(incident), {"summary": "Mine", "version": loaded})
    assert_error(response, 409, "stale")
    incident.refresh_from_db()
    assert incident.summary == "Someone else's edit"


def test_an_edit_with_the_current_version_is_saved(actors, incident):
    client = actors.client("desk_agent")
    loaded = client.get(url_of(incident)).json()["version"]
    response = client.patch(url_of(incident), {"summary": "Mine", "version": loaded})
    assert response.status_code == 200 and response.json()["version"] == loaded + 1


def test_an_edit_that_changes_nothing_writes_nothing(actors, incident):
    before = incident.history.count()
    response = actors.client("desk_agent").patch(url_of(incident), {"summary": incident.summary})
    assert response.status_code == 200
    assert incident.history.count() == before


def test_the_state_is_not_edited_it_is_transitioned(actors, incident):
    actors.client("desk_agent").patch(url_of(incident), {"state": "closed"})
    incident.refresh_from_db()
    assert incident.state == "new"


def test_major_flag_and_parent_are_refused_by_patch_they_have_their_own_calls(actors, incident):
    response = actors.client("desk_agent").patch(url_of(incident), {"parent": incident.pk, "is_major": True})
    body = assert_error(response, 400, "invalid")
    assert set(body["errors"]) == {"parent", "is_major"}
    assert "/children/" in body["errors"]["parent"][0] and "/major/" in body["errors"]["is_major"][0]
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.parent, saved.is_major) == (None, False)


def test_a_closed_incident_is_not_reassigned_by_editing_it(actors, incident):
    resolver = actors["team_resolver"]
    services.transition(incident=incident, user=resolver, name="claim")
    services.transition(incident=incident.pk, user=resolver, name="resolve", resolution_code="fixed",
                        resolution_notes="Reset the token.")
    services.transition(incident=incident.pk, user=actors["reporter"], name="close")
    client = actors.client("desk_agent")
    for assignee in (actors["desk_agent"].pk, None):
        response = client.patch(url_of(incident), {"assignee": assignee})
        assert "is closed; it cannot be assigned" in assert_error(response, 409, "refused")["detail"]
    assert Incident.objects.get(pk=incident.pk).assignee == resolver


def test_an_edited_assignee_follows_the_assignment_rule_and_is_recorded(actors, incident):
    response = actors.client("desk_agent").patch(url_of(incident), {"assignee": actors["team_resolver"].pk})
    assert response.status_code == 200 and response.json()["assignee"]["username"] == "nick"
    assert incident.events.filter(kind="assignment", message="Assigned to nick").exists()


def test_a_version_past_any_the_column_holds_is_400_not_stale(actors, incident):
    response = actors.client("desk_agent").patch(url_of(incident), {"summary": "Mine", "version": 10**30})
    assert "version" in assert_error(response, 400, "invalid")["errors"]
    assert Incident.objects.get(pk=incident.pk).summary != "Mine"


def test_a_parent_the_editor_may_not_see_does_not_exist_for_them(actors, incident):
    security = CategoryFactory(name="Security", default_team=actors.other_team, confidential=True)
    secret = make_incident(reporter=actors["other_reporter"], category=security)
    response = actors.client("desk_agent").patch(url_of(incident), {"parent": secret.pk})
    assert "parent" in assert_error(response, 400, "invalid")["errors"]


def test_put_is_not_offered(actors, incident):
    assert actors.client("desk_agent").put(url_of(incident), {"summary": "x"}).status_code == 405


def test_a_session_works_as_well_as_a_token(actors, incident, client):
    client.force_login(actors["team_resolver"])
    assert client.get(url_of(incident)).status_code == 200


def test_a_revoked_token_is_401(actors, incident):
    from tokens import services as tokens

    api = token_client(actors["desk_agent"])
    tokens.revoke(actors["desk_agent"].api_tokens.get(), by=actors["desk_agent"])
    assert_error(api.get(url_of(incident)), 401)


# --- who may log for others: the service's rule ----------------------------------------------------
@pytest.mark.parametrize("chosen", ["reporter", "channel", "team"])
def test_the_service_refuses_what_only_the_desk_chooses_to_whoever_may_not_log_for_others(actors, chosen):
    from django.core.exceptions import PermissionDenied

    rita = actors["reporter"]
    values = {"reporter": actors["other_reporter"], "channel": Channel.PHONE, "team": actors.team}
    kwargs = {"reporter": rita, chosen: values[chosen]}
    with pytest.raises(PermissionDenied, match=f"^Only the service desk sets {chosen} when logging"):
        services.incident_create(summary="Printer jam", created_by=rita, **kwargs)
    with pytest.raises(PermissionDenied):  # a resolver logs for nobody either
        services.incident_create(summary="Printer jam", created_by=actors["team_resolver"], **kwargs)
    assert not Incident.objects.exists()
    logged = services.incident_create(summary="Printer jam", created_by=actors["desk_agent"], **kwargs)
    assert logged.events.get().actor == actors["desk_agent"]


def test_reporting_ones_own_incident_by_the_api_or_the_portal_needs_no_permission(actors):
    rita = actors["reporter"]
    for channel in (Channel.API, Channel.PORTAL):
        assert services.incident_create(reporter=rita, created_by=rita, summary="Printer jam", channel=channel)
