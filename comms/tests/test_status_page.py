"""The public status page: each service's state from its open major incidents (or set by hand),
the public updates of ongoing incidents, 90 days of history, an Atom feed and Statuspage-shaped
JSON; cached at a constant number of queries, stale as soon as something on it changes; and no
confidential incident on any of its surfaces, nor in the portal's banner."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from comms import services
from comms.models import ComponentStatus, Stakeholder, StatusComponent, StatusGroup
from comms.status import invalidation, selectors, state
from comms.status import services as status_services
from incidents.models import Incident, Priority, Service
from incidents.tests.factories import UserFactory, make_incident
from incidents.workflow import State

pytestmark = pytest.mark.django_db

PAGE, FEED = "/status/", "/status/feed.atom"
SUMMARY, STATUS = "/status/summary.json", "/status/status.json"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def _fresh_snapshot():
    """Each test's rows are rolled back; so is what a snapshot cached of them."""
    invalidation._bump()
    yield
    invalidation._bump()


@pytest.fixture
def services_listed(db) -> dict[str, Service]:
    collaboration = StatusGroup.objects.create(name="Collaboration", position=1)
    network = StatusGroup.objects.create(name="Network", position=2)
    made = {}
    for position, (name, group) in enumerate((("E-mail", collaboration), ("CRM", collaboration),
                                              ("VPN", network), ("Wi-Fi", network))):
        made[name] = Service.objects.create(name=name, description=f"The {name} service.")
        StatusComponent.objects.create(service=made[name], group=group, position=position)
    return made


def major(service: Service | None, *, priority: int = Priority.P2, state_: str = State.IN_PROGRESS,
          summary: str = "VPN drops every few minutes", confidential: bool = False, resolved_days_ago=None,
          reporter=None) -> Incident:
    incident = make_incident(summary=summary, reporter=reporter)
    now = timezone.now()
    fields = {"is_major": True, "priority": priority, "service": service, "state": state_,
              "confidential": confidential}
    if resolved_days_ago is not None:
        fields.update(state=State.CLOSED, resolved_at=now - timedelta(days=resolved_days_ago),
                      opened_at=now - timedelta(days=resolved_days_ago, hours=3))
    Incident.objects.filter(pk=incident.pk).update(**fields)  # as the data is; the signals are tested apart
    invalidation._bump()
    return Incident.objects.get(pk=incident.pk)


def say(incident: Incident, body: str, *, author, to_status_page: bool = True, **flags):
    return services.post_update(incident=incident, author=author, body=body, to_status_page=to_status_page,
                                to_internal=not to_status_page, **flags)


# --- the rules ---------------------------------------------------------------------------------------
def test_a_service_takes_the_worst_state_its_open_major_incidents_give_it():
    assert state.component_status([]) == ComponentStatus.OPERATIONAL
    assert state.component_status([Priority.P4]) == ComponentStatus.DEGRADED
    assert state.component_status([Priority.P3, Priority.P2]) == ComponentStatus.PARTIAL
    assert state.component_status([Priority.P2, Priority.P1, Priority.P4]) == ComponentStatus.MAJOR


def test_a_state_set_by_hand_wins_over_the_incidents():
    assert state.component_status([Priority.P1], ComponentStatus.OPERATIONAL) == ComponentStatus.OPERATIONAL
    assert state.component_status([], ComponentStatus.DEGRADED) == ComponentStatus.DEGRADED


def test_impact_status_and_indicator_are_statuspages_words():
    assert [state.impact(p) for p in (1, 2, 3, 4)] == ["critical", "major", "minor", "minor"]
    assert [state.incident_status(s) for s in ("new", "triaged", "in_progress", "on_hold", "resolved", "closed")] \
        == ["investigating", "investigating", "identified", "identified", "resolved", "resolved"]
    assert state.indicator([ComponentStatus.OPERATIONAL], []) == "none"
    assert state.indicator([ComponentStatus.PARTIAL], ["minor"]) == "major"
    assert state.indicator([ComponentStatus.OPERATIONAL], ["critical"]) == "critical"


# --- the page ----------------------------------------------------------------------------------------
def test_the_page_needs_no_sign_in_and_lists_every_service_in_its_group(client, services_listed):
    StatusComponent.objects.filter(service=services_listed["CRM"]).update(shown=False)
    invalidation._bump()
    major(services_listed["VPN"], priority=Priority.P1)
    major(services_listed["E-mail"], priority=Priority.P3, summary="Mail is slow")

    response = client.get(PAGE)

    assert response.status_code == 200
    snapshot = response.context["snapshot"]
    assert [(g.name, [(c.name, c.status) for c in g.components]) for g in snapshot.groups] == [
        ("Collaboration", [("E-mail", "degraded_performance")]),
        ("Network", [("VPN", "major_outage"), ("Wi-Fi", "operational")]),
    ]
    page = response.content.decode()
    assert "Major System Outage" in page and "CRM" not in page.split("Services")[1]
    assert 'action="/status/incidents/' not in page  # nobody signed in: nothing to follow with


def test_a_long_override_reason_is_kept_whole_on_the_row_and_fits_the_historys_reason(services_listed, manager):
    component = StatusComponent.objects.get(service=services_listed["VPN"])
    reason = "Gateway firmware upgrade in Paris and Lyon this week: " + "connect through Frankfurt meanwhile. " * 6
    status_services.set_override(component=component, status=ComponentStatus.DEGRADED, reason=reason, by=manager)
    component.refresh_from_db()
    assert component.override_reason == reason.strip()
    # simple-history's reason column holds 100 characters (PostgreSQL refused the demo's longer one).
    assert len(component.history.first().history_change_reason) <= 100


def test_an_override_wins_with_its_reason_and_who_set_it_is_in_the_history(
        client, services_listed, manager, django_capture_on_commit_callbacks):
    major(services_listed["VPN"], priority=Priority.P1)
    component = StatusComponent.objects.get(service=services_listed["VPN"])

    with django_capture_on_commit_callbacks(execute=True):
        status_services.set_override(component=component, status=ComponentStatus.PARTIAL,
                                     reason="Only the Paris gateway is down", by=manager)

    page = client.get(PAGE)
    vpn = next(c for c in page.context["snapshot"].components if c.name == "VPN")
    assert (vpn.status, vpn.override_reason) == ("partial_outage", "Only the Paris gateway is down")
    assert "Only the Paris gateway is down" in page.content.decode()
    latest = component.history.first()
    assert (latest.override, latest.history_user, latest.history_change_reason) == (
        "partial_outage", manager, "state set to partial_outage: Only the Paris gateway is down")

    with django_capture_on_commit_callbacks(execute=True):
        status_services.set_override(component=component, status="", reason="", by=manager)
    assert client.get(PAGE).context["snapshot"].components[2].status == "major_outage"


def test_an_override_needs_a_reason_and_an_incident_manager(services_listed, manager, resolver):
    from django.core.exceptions import PermissionDenied, ValidationError

    component = StatusComponent.objects.get(service=services_listed["VPN"])
    with pytest.raises(ValidationError, match="Say why"):
        status_services.set_override(component=component, status="major_outage", reason=" ", by=manager)
    with pytest.raises(PermissionDenied, match="Only incident managers"):
        status_services.set_override(component=component, status="major_outage", reason="Down", by=resolver)


def test_ongoing_incidents_show_only_their_status_page_updates_newest_first(client, services_listed, agent):
    incident = major(services_listed["VPN"])
    say(incident, "We are looking into VPN drops.", author=agent)
    say(incident, "Internal: the firewall team is on it.", author=agent, to_status_page=False)
    say(incident, "A fix is being rolled out.", author=agent)

    shown = client.get(PAGE).context["snapshot"].ongoing
    assert [u.body for u in shown[0].updates] == ["A fix is being rolled out.", "We are looking into VPN drops."]
    assert all(u.status == "identified" for u in shown[0].updates)
    assert "Internal: the firewall team" not in client.get(PAGE).content.decode()


def test_history_is_the_major_incidents_resolved_in_the_last_90_days(client, services_listed):
    major(services_listed["VPN"], summary="Recent outage", resolved_days_ago=3)
    major(services_listed["VPN"], summary="Old outage", resolved_days_ago=91)
    major(services_listed["VPN"], summary="Cancelled one", state_=State.CANCELLED)
    not_major = make_incident(summary="A printer jam")
    Incident.objects.filter(pk=not_major.pk).update(state=State.CLOSED, resolved_at=timezone.now())
    invalidation._bump()

    snapshot = client.get(PAGE).context["snapshot"]
    assert [i.name for i in snapshot.past] == ["Recent outage"] and snapshot.ongoing == ()
    assert snapshot.components[2].status == "operational"


# --- a confidential incident, on every surface ---------------------------------------------------------
def test_a_confidential_incident_is_never_on_the_page_the_feed_the_json_or_the_banner(
        client, services_listed, agent, reporter, security_team):
    secret = major(services_listed["VPN"], priority=Priority.P1, summary="Badge cloning at the front door",
                   confidential=True)
    major(services_listed["E-mail"], priority=Priority.P1, summary="Ransom note in the share",
          confidential=True, resolved_days_ago=2)
    from comms.models import Update
    Update.objects.create(incident=secret, posted_by=agent, body="Door readers compromised", to_status_page=True)
    invalidation._bump()
    selectors.snapshot()  # cached, as the banner reads it
    client.force_login(reporter)

    surfaces = {url: client.get(url).content.decode() for url in (PAGE, FEED, SUMMARY, STATUS,
                                                                  reverse("portal:home"))}

    for url, body in surfaces.items():
        for secret_word in ("Badge cloning", "Ransom note", "Door readers", secret.reference):
            assert secret_word not in body, f"{secret_word} is on {url}"
    summary = json.loads(surfaces[SUMMARY])
    assert summary["incidents"] == [] and summary["status"]["indicator"] == "none"
    assert {c["status"] for c in summary["components"]} == {"operational"}


# --- the feeds -----------------------------------------------------------------------------------------
def test_the_atom_feed_is_valid_with_an_entry_per_incident_and_its_public_updates(client, services_listed, agent):
    incident = major(services_listed["VPN"], priority=Priority.P1)
    say(incident, "Line one.\n\nWe <b>escaped</b> this.", author=agent)
    major(services_listed["E-mail"], summary="Mail bounced", resolved_days_ago=5)

    response = client.get(FEED)

    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}").text
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    for entry in entries:
        for required in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{required}").text, required
        assert entry.find(f"{ATOM}link").get("href").startswith("http://testserver/status/#inc-")
    first = entries[0]
    assert first.find(f"{ATOM}title").text == "Identified: VPN drops every few minutes (VPN)"
    content = first.find(f"{ATOM}summary").text
    assert "We &lt;b&gt;escaped&lt;/b&gt; this." in content and "<b>" not in content
    assert len({e.find(f"{ATOM}id").text for e in entries}) == 2


def test_summary_json_is_in_the_shape_of_statuspage_v2(client, services_listed, agent):
    incident = major(services_listed["VPN"], priority=Priority.P1)
    update = say(incident, "We are on it.", author=agent)
    major(services_listed["E-mail"], summary="Mail bounced", resolved_days_ago=5)

    response = client.get(SUMMARY)

    assert response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    assert set(data) == {"page", "components", "incidents", "scheduled_maintenances", "status"}
    assert set(data["page"]) == {"id", "name", "url", "time_zone", "updated_at"}
    assert data["page"]["url"] == "http://testserver/status/"
    assert data["status"] == {"indicator": "critical", "description": "Major System Outage"}
    assert data["scheduled_maintenances"] == []
    by_name = {c["name"]: c for c in data["components"]}
    assert by_name["Network"]["group"] is True and by_name["Network"]["status"] == "major_outage"
    assert by_name["Network"]["components"] == [by_name["VPN"]["id"], by_name["Wi-Fi"]["id"]]
    assert by_name["VPN"]["group_id"] == by_name["Network"]["id"] and by_name["VPN"]["status"] == "major_outage"
    for component in data["components"]:
        assert {"id", "name", "status", "created_at", "updated_at", "position", "description", "group_id"} \
            <= set(component)
        assert component["status"] in ("operational", "degraded_performance", "partial_outage", "major_outage")
    [shown] = data["incidents"]  # the unresolved ones, as there
    assert {"id", "name", "status", "impact", "created_at", "updated_at", "shortlink", "incident_updates"} \
        <= set(shown)
    assert (shown["id"], shown["status"], shown["impact"]) == (incident.reference, "identified", "critical")
    assert shown["shortlink"] == f"http://testserver/status/#{incident.reference.lower()}"
    [said] = shown["incident_updates"]
    assert (said["id"], said["status"], said["body"]) == (str(update.pk), "identified", "We are on it.")
    assert {"id", "status", "body", "created_at"} <= set(said)
    assert shown["created_at"].endswith("+00:00")


def test_status_json_is_the_page_and_its_indicator(client, services_listed):
    major(services_listed["E-mail"], priority=Priority.P3)
    data = client.get(STATUS).json()
    assert set(data) == {"page", "status"}
    assert data["status"] == {"indicator": "minor", "description": "Partially Degraded Service"}


# --- the cache -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("url", "name"), [(PAGE, "status.page"), (SUMMARY, "status.summary_json"),
                                           (STATUS, "status.status_json"), (FEED, "status.feed")])
def test_each_surface_costs_the_same_queries_for_1_and_50_incidents_and_none_once_cached(
        client, services_listed, agent, url, name):
    from core.tests.api_support import assert_constant_queries, count_queries

    def add(n: int) -> None:
        for i in range(n):
            service = list(services_listed.values())[i % 4]
            incident = major(service, priority=1 + i % 4, summary=f"Outage {i}",
                             resolved_days_ago=i % 3 or None)
            Stakeholder.objects.create(incident=incident, user=UserFactory(), audience="external")
            say(incident, f"Update {i}", author=agent) if i % 2 == 0 else None

    add(1)
    invalidation._bump()
    one, _ = count_queries(lambda: client.get(url))
    add(49)
    invalidation._bump()
    many, response = count_queries(lambda: client.get(url))
    assert response.status_code == 200
    assert_constant_queries(name, one, many)
    cached, _ = count_queries(lambda: client.get(url))
    assert cached == 0


def test_posting_an_update_to_the_status_page_shows_it_at_once(client, services_listed, agent,
                                                                django_capture_on_commit_callbacks):
    incident = major(services_listed["VPN"])
    client.get(PAGE)  # cached without it
    with django_capture_on_commit_callbacks(execute=True):
        say(incident, "Fixed on the Paris gateway.", author=agent)
    assert "Fixed on the Paris gateway." in client.get(PAGE).content.decode()


def test_an_incident_declared_major_or_made_confidential_changes_the_page_at_once(
        client, services_listed, reporter, django_capture_on_commit_callbacks):
    incident = make_incident(reporter=reporter, summary="Wi-Fi is down on floor 2")
    incident.service = services_listed["Wi-Fi"]
    incident.save()
    assert client.get(PAGE).context["snapshot"].ongoing == ()

    with django_capture_on_commit_callbacks(execute=True):
        incident.is_major = True
        incident.save()
    assert [i.name for i in client.get(PAGE).context["snapshot"].ongoing] == ["Wi-Fi is down on floor 2"]

    with django_capture_on_commit_callbacks(execute=True):
        incident.confidential = True
        incident.save()
    assert client.get(PAGE).context["snapshot"].ongoing == ()


def test_a_change_elsewhere_leaves_the_cached_page_alone(client, services_listed, reporter,
                                                         django_capture_on_commit_callbacks):
    major(services_listed["VPN"])
    client.get(PAGE)
    before = selectors.version()
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(reporter=reporter, summary="My mouse is broken")
    assert selectors.version() == before


def test_an_override_set_in_the_admin_shows_at_once(client, services_listed, manager,
                                                    django_capture_on_commit_callbacks):
    component = StatusComponent.objects.get(service=services_listed["Wi-Fi"])
    client.get(PAGE)
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:comms_statuscomponent_change", args=[component.pk]), {
            "group": component.group_id, "position": 3, "shown": "on", "override": "degraded_performance",
            "override_reason": "Access points being replaced"})
    assert response.status_code == 302
    component.refresh_from_db()
    assert (component.override_by, component.override_at is not None) == (manager, True)
    assert "Access points being replaced" in client.get(PAGE).content.decode()


def test_the_admin_refuses_a_state_set_by_hand_without_a_reason(client, services_listed, manager):
    component = StatusComponent.objects.get(service=services_listed["Wi-Fi"])
    client.force_login(manager)
    response = client.post(reverse("admin:comms_statuscomponent_change", args=[component.pk]), {
        "group": component.group_id, "position": 3, "shown": "on", "override": "major_outage",
        "override_reason": ""})
    assert response.status_code == 200 and "Say why the state is set by hand" in response.content.decode()
    component.refresh_from_db()
    assert component.override == ""


def test_no_incident_no_service_the_page_still_says_so(client):
    page = client.get(PAGE).content.decode()
    assert "All Systems Operational" in page and "No service is listed on this page yet." in page
    assert "No major incident in the last 90 days." in page


def test_the_page_passes_the_content_security_policy_without_inline_code(client, services_listed):
    major(services_listed["VPN"])
    response = client.get(PAGE)
    page = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script" not in page and "style=" not in page and "<style" not in page


def test_each_update_says_where_the_incident_stood_when_it_was_posted(client, services_listed, agent, resolver,
                                                                      reporter, network_category):
    from incidents import services as incidents

    incident = make_incident(reporter=reporter, category=network_category, summary="Core switch down")
    Incident.objects.filter(pk=incident.pk).update(is_major=True, service=services_listed["VPN"])
    incident.refresh_from_db()
    say(incident, "We are looking into it.", author=agent)
    incidents.transition(incident=incident.pk, user=resolver, name="start", assignee=resolver)
    say(incident, "The faulty line card is found.", author=agent)
    invalidation._bump()

    [shown] = client.get(PAGE).context["snapshot"].ongoing
    assert [(u.body, u.status) for u in shown.updates] == [
        ("The faulty line card is found.", "identified"), ("We are looking into it.", "investigating")]


@pytest.mark.parametrize("is_major", [True, False])
@pytest.mark.parametrize("confidential", [True, False])
@pytest.mark.parametrize("state_", list(State))
def test_what_may_be_followed_is_what_the_page_shows_as_ongoing(is_major, confidential, state_):
    """The rule in Python (`services.followable`) and in SQL (`selectors.public_incidents`) agree."""
    incident = make_incident(summary="Anything")
    Incident.objects.filter(pk=incident.pk).update(is_major=is_major, confidential=confidential, state=state_,
                                                   resolved_at=timezone.now())
    incident.refresh_from_db()
    on_page = selectors.public_incidents().filter(pk=incident.pk).exists()
    assert services.followable(incident) == (on_page and state.is_open(state_))
