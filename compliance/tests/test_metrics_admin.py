"""The "SLA metrics" page of the compliance admin and its CSV export: who may open them, the period
form's errors, what the export holds (and that it is safe to open in a spreadsheet and recorded in
the audit chain), and their query counts for 1 incident and for 50."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from compliance.models import AuditEntry
from core.tests.api_support import assert_constant_queries, count_queries
from incidents import roles, services
from incidents.models import Incident
from incidents.tests import conftest as incident_fixtures
from incidents.tests.factories import CategoryFactory, TeamFactory, UserFactory, make_incident

# The incidents app's people and teams, as fixtures of this module.
agent = incident_fixtures.agent
desk_team = incident_fixtures.desk_team
manager = incident_fixtures.manager
network_category = incident_fixtures.network_category
network_team = incident_fixtures.network_team
platform_team = incident_fixtures.platform_team
reporter = incident_fixtures.reporter
resolver = incident_fixtures.resolver

pytestmark = pytest.mark.django_db

PAGE = reverse("admin:compliance_slametrics_changelist")
EXPORT = reverse("admin:compliance_slametrics_export")
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
DAY = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _after_the_period():
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def auditor(db):
    return UserFactory(username="audrey", role=roles.AUDITOR)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def opened(*, at=DAY, **fields):
    fields = {"impact": "high", "urgency": "high", **fields}
    with time_machine.travel(at, tick=False):
        return make_incident(**fields)


def claimed(incident, user, after=timedelta(minutes=10)):
    with time_machine.travel(incident.opened_at + after, tick=False):
        return services.transition(incident=incident, user=user, name="claim")


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


def export_rows(response) -> list[dict]:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


# --- who may open them --------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["manager", "auditor"])
def test_incident_managers_and_auditors_open_the_page_with_its_three_tables(who, request):
    response = client_for(request.getfixturevalue(who)).get(PAGE, NOVEMBER)
    assert response.status_code == 200
    page = response.content.decode()
    for title in ("By priority", "By team", "By category", "Export the incidents opened in the period"):
        assert title in page
    assert "opened" in page and "resolved" in page  # the page says which period each figure reads


@pytest.mark.parametrize("who", ["agent", "resolver"])
def test_desk_agents_and_resolvers_are_refused_the_page_and_the_export(who, request):
    client = client_for(request.getfixturevalue(who))
    assert client.get(PAGE, NOVEMBER).status_code == 403
    assert client.get(EXPORT, NOVEMBER).status_code == 403
    assert not AuditEntry.objects.filter(table="audit.access").exists()


def test_the_compliance_admin_lists_the_sla_metrics_for_an_auditor(auditor):
    response = client_for(auditor).get(reverse("admin:app_list", args=["compliance"]))
    assert response.status_code == 200
    assert PAGE in response.content.decode()


# --- the period --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("query", "error"), [
    ({"from": "2026-11-30", "to": "2026-11-01"}, "The period ends (2026-11-01) before it starts (2026-11-30)."),
    ({"from": "2027-01-01", "to": "2027-01-31"}, "The period starts after today (2027-01-01)"),
    ({"from": "2024-01-01", "to": "2026-11-30"}, "A period covers at most 400 days; this one covers 1065."),
    ({"from": "0001-01-01", "to": "0001-01-02"}, "The period starts before 1970-01-01."),
    ({"from": "yesterday", "to": "2026-11-30"}, "From: Enter a valid date."),
    ({"to": "2026-11-30"}, "From: This field is required."),
])
def test_a_wrong_period_is_refused_with_a_sentence_that_says_why(manager, query, error):
    client = client_for(manager)
    response = client.get(PAGE, query)
    assert response.status_code == 200 and error in response.content.decode()
    assert "By priority" not in response.content.decode()
    refused = client.get(EXPORT, query)
    assert refused.status_code == 400 and error in refused.content.decode()
    assert not AuditEntry.objects.filter(table="audit.access").exists()


def test_without_a_period_the_page_shows_the_last_30_days(manager):
    response = client_for(manager).get(PAGE)
    assert response.status_code == 200
    assert "From 2 November 2026 to 1 December 2026" in response.content.decode()


# --- the export ------------------------------------------------------------------------------------
def test_the_export_lists_the_periods_incidents_with_their_sla_figures_and_conformance(
    manager, resolver, reporter, network_category
):
    incident = claimed(opened(reporter=reporter, category=network_category, summary="VPN down for the whole floor"),
                       resolver, after=timedelta(minutes=30))
    opened(at=datetime(2026, 10, 31, 12, 0, tzinfo=UTC), reporter=reporter, category=network_category)  # October
    opened(reporter=reporter, category=network_category, exercise=True)  # a drill

    response = client_for(manager).get(EXPORT, NOVEMBER)
    assert response["Content-Disposition"] == 'attachment; filename="incidents-sla-2026-11-01-2026-11-30.csv"'
    [row] = export_rows(response)
    assert row["reference"] == incident.reference
    assert row["summary"] == "VPN down for the whole floor"
    assert (row["priority"], row["team"], row["category"], row["state"]) == (
        "P1 – Critical", "Network", "Network", "In progress")
    assert row["opened at"] == "2026-11-10T08:00:00+00:00"
    assert row["responded at"] == "2026-11-10T08:30:00+00:00"
    assert row["respond by"] == "2026-11-10T08:15:00+00:00"
    assert (row["time to respond (s)"], row["response met"], row["response breached"]) == ("1800", "no", "yes")
    assert (row["resolved at"], row["resolution met"], row["time to resolve (s)"]) == ("", "", "")
    met, applicable = int(row["conformance met"]), int(row["conformance applicable"])
    assert 0 <= met <= applicable and applicable > 0


def test_the_export_is_recorded_in_the_audit_chain_with_who_and_which_period(manager):
    export_rows(client_for(manager).get(EXPORT, NOVEMBER))
    entry = AuditEntry.objects.get(table="audit.access")
    assert '"actor":"maria"' in entry.content and '"action":"export"' in entry.content
    assert "2026-11-01 to 2026-11-30" in entry.content


@pytest.mark.parametrize("summary", ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)"])
def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(manager, reporter, summary):
    opened(reporter=reporter, summary=summary)
    [row] = export_rows(client_for(manager).get(EXPORT, NOVEMBER))
    assert row["summary"] == f"'{summary}"


def test_the_export_holds_only_the_incidents_the_viewer_may_see(manager, resolver, reporter, network_category,
                                                                auditor):
    csirt = TeamFactory(name="CSIRT", slug="csirt", security=True)
    ordinary = opened(reporter=reporter, category=network_category)
    opened(reporter=reporter, category=CategoryFactory(name="Intrusion", default_team=csirt, security=True))
    opened(reporter=reporter, category=CategoryFactory(name="HR case", default_team=TeamFactory(name="People"),
                                                       confidential=True))
    assert len(export_rows(client_for(manager).get(EXPORT, NOVEMBER))) == 3
    assert [r["reference"] for r in export_rows(client_for(auditor).get(EXPORT, NOVEMBER))] == [ordinary.reference]


# --- query counts -----------------------------------------------------------------------------------
def test_the_page_and_the_export_take_the_same_queries_for_1_incident_and_for_50(
    manager, resolver, reporter, network_category, platform_team
):
    client = client_for(manager)
    claimed(opened(reporter=reporter, category=network_category), resolver)
    client.get(PAGE, NOVEMBER)  # the session and the user's roles, read once like any first page
    page_one, _ = count_queries(lambda: client.get(PAGE, NOVEMBER))
    export_one, rows = count_queries(lambda: export_rows(client.get(EXPORT, NOVEMBER)))
    assert len(rows) == 1

    storage = CategoryFactory(name="Storage", default_team=platform_team)
    first = Incident.objects.get()
    copies(first, 49, lambda n: {"opened_at": DAY + timedelta(hours=n), "priority": 1 + n % 4,
                                 "category": network_category if n % 2 else storage,
                                 "team": network_category.default_team if n % 2 else platform_team})
    page_many, response = count_queries(lambda: client.get(PAGE, NOVEMBER))
    assert response.status_code == 200 and "Storage" in response.content.decode()
    export_many, rows = count_queries(lambda: export_rows(client.get(EXPORT, NOVEMBER)))
    assert len(rows) == 50
    assert_constant_queries("admin.compliance.slametrics", page_one, page_many)
    assert export_one == export_many, f"the export: {export_one} queries for 1 incident, {export_many} for 50"
