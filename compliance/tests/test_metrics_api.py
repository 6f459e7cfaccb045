"""GET /api/v1/metrics/sla/: the SLA metrics page's figures for incident managers and auditors, the
same refusals and period errors, and a query count that does not grow with the incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core.tests.api_support import assert_constant_queries, assert_error, count_queries, token_client
from incidents import roles, services
from incidents.models import Incident
from incidents.tests import conftest as incident_fixtures
from incidents.tests.factories import CategoryFactory, UserFactory, make_incident

# The incidents app's people and teams, as fixtures of this module.
manager = incident_fixtures.manager
network_category = incident_fixtures.network_category
network_team = incident_fixtures.network_team
platform_team = incident_fixtures.platform_team
reporter = incident_fixtures.reporter
resolver = incident_fixtures.resolver

pytestmark = pytest.mark.django_db

URL = "/api/v1/metrics/sla/"
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
DAY = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _after_the_period():
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tick=False):
        yield


def opened(*, at=DAY, **fields):
    with time_machine.travel(at, tick=False):
        return make_incident(impact="high", urgency="high", **fields)


def copies(incident, n: int, vary) -> None:
    """`n` more rows like `incident` (its team, category and timestamps changed by `vary(i)`),
    written in one statement: what a list's query count is about is how many rows it reads, and
    opening each through the service would take minutes."""
    rows = []
    for i in range(n):
        row = Incident.objects.get(pk=incident.pk)
        row.pk, row.reference, row.submission_key = None, f"{incident.reference}-{i}", None
        for name, value in vary(i).items():
            setattr(row, name, value)
        rows.append(row)
    Incident.objects.bulk_create(rows)


def test_an_incident_manager_reads_the_figures_by_priority_team_and_category(manager, resolver, reporter,
                                                                             network_category):
    incident = opened(reporter=reporter, category=network_category)
    with time_machine.travel(DAY + timedelta(minutes=10), tick=False):
        services.transition(incident=incident, user=resolver, name="claim")

    response = token_client(manager).get(URL, NOVEMBER)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == {"from": "2026-11-01", "to": "2026-11-30"}
    p1 = body["by_priority"][0]
    assert (p1["key"], p1["opened"], p1["mtta"], p1["response_met"]) == (
        1, 1, {"seconds": 600, "count": 1}, {"met": 1, "count": 1, "percent": 100.0})
    assert [(row["label"], row["opened"]) for row in body["by_team"]] == [("Network", 1)]
    assert body["total"]["mttr"] == {"seconds": None, "count": 0}


def test_an_auditor_reads_them_and_a_resolver_is_refused(resolver):
    auditor = UserFactory(username="audrey", role=roles.AUDITOR)
    assert token_client(auditor).get(URL, NOVEMBER).status_code == 200
    body = assert_error(token_client(resolver).get(URL, NOVEMBER), 403)
    assert "incident managers and auditors" in body["detail"]
    assert_error(token_client().get(URL, NOVEMBER), 401)


def test_a_period_that_ends_before_it_starts_is_a_400_that_says_so(manager):
    response = token_client(manager).get(URL, {"from": "2026-11-30", "to": "2026-11-01"})
    body = assert_error(response, 400)
    assert "The period ends (2026-11-01) before it starts (2026-11-30)." in str(body)


def test_the_figures_take_the_same_queries_for_1_incident_and_for_50(manager, reporter, network_category,
                                                                     platform_team):
    client = token_client(manager)
    first = opened(reporter=reporter, category=network_category)
    client.get(URL, NOVEMBER)
    one, response = count_queries(lambda: client.get(URL, NOVEMBER))
    assert response.status_code == 200
    storage = CategoryFactory(name="Storage", default_team=platform_team)
    copies(first, 49, lambda n: {"opened_at": DAY + timedelta(hours=n), "priority": 1 + n % 4,
                                 "category": network_category if n % 2 else storage,
                                 "team": network_category.default_team if n % 2 else platform_team})
    many, response = count_queries(lambda: client.get(URL, NOVEMBER))
    assert response.status_code == 200 and response.json()["total"]["opened"] == 50
    assert_constant_queries("api.compliance.metrics.sla", one, many)
