"""The incident list's filters, search, order and cursor pages: each narrows what the caller may
see already (never widens it), and a cursor walks every row once in any order the list offers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from core.tests.api_support import assert_error
from incidents import major, services
from incidents.models import Incident

from .factories import CategoryFactory, ServiceFactory, make_incident

URL = "/api/v1/incidents/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:500]
    return [row["id"] for row in response.json()["results"]]


def same(response, *incidents) -> bool:
    return sorted(ids(response)) == sorted(i.pk for i in incidents)


@pytest.fixture
def rows(actors):
    network = CategoryFactory(name="Network", default_team=actors.team)
    platform = CategoryFactory(name="Platform", default_team=actors.other_team)
    vpn = ServiceFactory(name="VPN")
    gateway = make_incident(reporter=actors["reporter"], category=network, service=vpn, impact="high",
                            urgency="high", summary="VPN gateway down")
    disk = make_incident(reporter=actors["other_reporter"], category=platform, summary="Disk almost full on build01")
    printer = make_incident(reporter=actors["reporter"], summary="Printer jam", impact="medium", urgency="medium")
    return SimpleNamespace(network=network, platform=platform, vpn=vpn, gateway=gateway, disk=disk, printer=printer)


@pytest.fixture
def desk(actors):
    return actors.client("desk_agent")


def test_filter_by_state(actors, rows, desk):
    services.transition(incident=rows.gateway, user=actors["desk_agent"], name="triage")
    assert same(desk.get(URL, {"state": "triaged"}), rows.gateway)
    assert same(desk.get(URL, {"state": "new"}), rows.disk, rows.printer)
    assert same(desk.get(URL, {"state": "new,triaged"}), rows.gateway, rows.disk, rows.printer)


def test_filter_by_priority(rows, desk):
    assert same(desk.get(URL, {"priority": "1"}), rows.gateway)
    assert same(desk.get(URL, {"priority": "1,4"}), rows.gateway, rows.disk)


def test_filter_by_impact_and_urgency(rows, desk):
    assert same(desk.get(URL, {"impact": "medium", "urgency": "medium"}), rows.printer)


def test_filter_by_team_category_and_service(actors, rows, desk):
    assert same(desk.get(URL, {"team": actors.team.pk}), rows.gateway)
    assert same(desk.get(URL, {"team": f"{actors.team.pk},{actors.other_team.pk}"}), rows.gateway, rows.disk)
    assert same(desk.get(URL, {"category": rows.platform.pk}), rows.disk)
    assert same(desk.get(URL, {"service": rows.vpn.pk}), rows.gateway)


def test_filter_by_reporter(actors, rows, desk):
    assert same(desk.get(URL, {"reporter": actors["other_reporter"].pk}), rows.disk)


def test_filter_by_assignee_me_and_unassigned(actors, rows, desk):
    services.transition(incident=rows.gateway, user=actors["team_resolver"], name="claim")
    assert same(desk.get(URL, {"assignee": actors["team_resolver"].pk}), rows.gateway)
    assert same(actors.client("team_resolver").get(URL, {"assignee": "me"}), rows.gateway)
    assert same(desk.get(URL, {"assignee": "me"}))
    assert same(desk.get(URL, {"assignee": "none"}), rows.disk, rows.printer)
    assert "assignee" in assert_error(desk.get(URL, {"assignee": "nick"}), 400, "invalid")["errors"]
    assert_error(desk.get(URL, {"assignee": "²"}), 400, "invalid")


def test_filter_by_confidential(actors, rows):
    security = CategoryFactory(name="Security", default_team=actors.other_team, confidential=True)
    secret = make_incident(reporter=actors["reporter"], category=security)
    manager = actors.client("incident_manager")
    assert same(manager.get(URL, {"confidential": "true"}), secret)
    assert secret.pk not in ids(manager.get(URL, {"confidential": "false"}))
    # A filter narrows what the caller sees, it does not reach past it.
    assert same(actors.client("desk_agent").get(URL, {"confidential": "true"}))


def test_filter_by_major(actors, rows, desk):
    major.declare(incident=rows.disk, user=actors["incident_manager"], reason="Every CRM user is stopped")
    assert same(desk.get(URL, {"major": "true"}), rows.disk)
    assert same(desk.get(URL, {"major": "false"}), rows.gateway, rows.printer)


def test_filter_by_sla_breached_at_risk_and_paused(rows, desk):
    now = timezone.now()
    Incident.objects.filter(pk=rows.gateway.pk).update(response_breached=True)
    Incident.objects.filter(pk=rows.disk.pk).update(at_risk_from=now - timedelta(minutes=5),
                                                    respond_by=now + timedelta(minutes=30))
    Incident.objects.filter(pk=rows.printer.pk).update(state="on_hold", clock_paused_at=now)
    assert same(desk.get(URL, {"sla": "breached"}), rows.gateway)
    assert same(desk.get(URL, {"sla": "at_risk"}), rows.disk)
    assert same(desk.get(URL, {"sla": "paused"}), rows.printer)
    assert "sla" in assert_error(desk.get(URL, {"sla": "late"}), 400, "invalid")["errors"]


def test_a_deadline_passed_before_the_sweep_marked_it_counts_as_breached(rows, desk):
    Incident.objects.filter(pk=rows.disk.pk).update(respond_by=timezone.now() - timedelta(minutes=1))
    assert rows.disk.pk in ids(desk.get(URL, {"sla": "breached"}))


def test_filter_by_opened_and_updated_ranges(rows, desk):
    def at(day: int) -> datetime:
        return datetime(2026, 11, day, 9, 0, tzinfo=UTC)

    for incident, opened, updated in ((rows.gateway, 1, 20), (rows.disk, 10, 11), (rows.printer, 15, 16)):
        Incident.objects.filter(pk=incident.pk).update(opened_at=at(opened), updated_at=at(updated))
    assert same(desk.get(URL, {"opened_after": "2026-11-05T00:00:00Z"}), rows.disk, rows.printer)
    assert same(desk.get(URL, {"opened_after": "2026-11-05T00:00:00Z", "opened_before": "2026-11-12T00:00:00Z"}),
                rows.disk)
    assert same(desk.get(URL, {"updated_after": "2026-11-18T00:00:00Z"}), rows.gateway)
    assert same(desk.get(URL, {"updated_before": "2026-11-12T00:00:00Z"}), rows.disk)
    assert "opened" in " ".join(assert_error(desk.get(URL, {"opened_after": "last week"}), 400)["errors"])


def test_search_matches_reference_summary_and_reporter_like_the_admin(rows, desk):
    assert same(desk.get(URL, {"search": "vpn"}), rows.gateway)
    assert same(desk.get(URL, {"search": rows.disk.reference}), rows.disk)
    assert same(desk.get(URL, {"search": "oscar"}), rows.disk)
    assert same(desk.get(URL, {"search": '"almost full"'}), rows.disk)
    assert same(desk.get(URL, {"search": "disk printer"}))  # every word must match


def test_search_never_reveals_what_the_caller_may_not_see(actors, rows):
    assert same(actors.client("reporter").get(URL, {"search": "disk"}))


def test_ordering_by_priority_either_way(rows, desk):
    assert ids(desk.get(URL, {"ordering": "priority"})) == [rows.gateway.pk, rows.printer.pk, rows.disk.pk]
    assert ids(desk.get(URL, {"ordering": "-priority"})) == [rows.disk.pk, rows.printer.pk, rows.gateway.pk]


def test_the_default_order_is_newest_first_and_unlisted_keys_are_ignored(rows, desk):
    newest_first = [rows.printer.pk, rows.disk.pk, rows.gateway.pk]
    assert ids(desk.get(URL)) == newest_first
    assert ids(desk.get(URL, {"ordering": "summary"})) == newest_first


@pytest.mark.parametrize("ordering", ["priority", "-priority", "opened_at", "-updated_at", "id"])
def test_a_cursor_walks_every_row_once_in_any_offered_order(actors, rows, desk, ordering):
    for n in range(4):  # ties: several incidents of one priority
        make_incident(reporter=actors["reporter"], summary=f"Printer jam {n}", impact="medium", urgency="medium")
    expected = ids(desk.get(URL, {"ordering": ordering, "page_size": 50}))
    seen, url, params = [], URL, {"ordering": ordering, "page_size": 2}
    while url:
        page = desk.get(url, params)
        seen += ids(page)
        url, params = page.json()["next"], None
    assert seen == expected and len(seen) == 7


def test_invalid_filter_values_are_400_naming_the_filter(rows, desk):
    assert "state" in assert_error(desk.get(URL, {"state": "done"}), 400, "invalid")["errors"]
    assert "priority" in assert_error(desk.get(URL, {"priority": "9"}), 400, "invalid")["errors"]
    assert "team" in assert_error(desk.get(URL, {"team": "network"}), 400, "invalid")["errors"]
