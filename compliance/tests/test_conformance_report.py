"""Where the conformance checklist is shown (the incident's admin page, the major-incident page), the
report per team, category and priority over a period, and what both cost in queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import reverse

from compliance.conformance import checklists
from compliance.conformance.panels import checklist_panel
from core.tests.api_support import assert_constant_queries, count_queries
from incidents import major, roles, services
from incidents.models import Incident
from incidents.tests.conftest import (  # noqa: F401  (fixtures)
    agent,
    desk_team,
    manager,
    network_category,
    network_team,
    platform_team,
    reporter,
    resolver,
)
from incidents.tests.factories import CategoryFactory, ServiceFactory, UserFactory, make_incident
from reviews import services as reviews
from reviews.tests.factories import ActionItemFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REPORT = "admin:compliance_conformancereport_changelist"


@pytest.fixture(autouse=True)
def _quick(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def worked(reporter, agent, resolver, category, *, priority_levels=("medium", "medium"),  # noqa: F811
           verification: str = "Tested in production.", review: bool = False, **kwargs) -> Incident:
    """Opened, triaged, claimed and resolved through the services; a P1 with its review if asked."""
    impact, urgency = priority_levels
    incident = make_incident(reporter=reporter, category=category, impact=impact, urgency=urgency,
                             service=ServiceFactory(name="VPN"), **kwargs)
    incident = services.transition(incident=incident, user=agent, name="triage")
    incident = services.transition(incident=incident, user=resolver, name="claim")
    incident = services.transition(incident=incident, user=resolver, name="resolve", resolution_code="fixed",
                                   resolution_notes="Restarted the concentrator.", verification=verification)
    if review:
        created = reviews.create_required_review(incident.pk)
        ActionItemFactory(review=created, owner=resolver)
    return incident


# --- the panels -----------------------------------------------------------------------------------------
def test_the_incident_admin_page_shows_the_checklist_with_its_evidence(client, clock, reporter, agent, resolver,  # noqa: F811
                                                                       network_category):  # noqa: F811
    incident = worked(reporter, agent, resolver, network_category, verification="")
    client.force_login(resolver)
    page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk])).content.decode()
    assert 'id="conformance"' in page
    assert "Restoration verified" in page and "without recording how restoration was verified" in page
    assert 'data-step="restoration_verified"' in page


def test_the_panel_shows_nothing_to_who_does_not_read_the_whole_record(clock, reporter, agent, resolver,  # noqa: F811
                                                                       network_category):  # noqa: F811
    incident = worked(reporter, agent, resolver, network_category)
    request = RequestFactory().get("/")
    request.user = reporter
    assert checklist_panel(request, incident) == ""
    request.user = resolver
    assert "SOP conformance" in checklist_panel(request, incident)


def test_the_major_incident_page_shows_the_checklist(client, clock, reporter, agent, resolver, manager,  # noqa: F811
                                                     network_category):  # noqa: F811
    incident = make_incident(reporter=reporter, category=network_category, impact="high", urgency="high")
    services.transition(incident=incident, user=agent, name="triage")
    major.declare(incident=incident.pk, user=manager, reason="Every branch office is cut off.")
    client.force_login(manager)
    page = client.get(reverse("admin:response_majorincident_change", args=[incident.pk]))
    assert page.status_code == 200
    assert 'id="conformance"' in page.content.decode()


# --- checklists() in bulk ---------------------------------------------------------------------------------
def test_checklists_of_1_and_of_50_incidents_cost_the_same_queries(clock, reporter, agent, resolver,  # noqa: F811
                                                                   manager, network_category):  # noqa: F811
    first = [worked(reporter, agent, resolver, network_category, priority_levels=("high", "high"), review=True)]
    one, results = count_queries(lambda: checklists(Incident.objects.filter(pk=first[0].pk)))
    assert results[first[0].pk].item("action_items_owned").status == "met"
    for i in range(49):
        worked(reporter, agent, resolver, network_category, review=i % 7 == 0,
               priority_levels=("high", "high") if i % 7 == 0 else ("medium", "medium"),
               verification="" if i % 3 else "Checked from staging.")
    many, results = count_queries(lambda: checklists(Incident.objects.all()))
    assert len(results) == 50
    assert_constant_queries("compliance.conformance.checklists", one, many)


# --- the report -------------------------------------------------------------------------------------------
def report_url(first: str = "2026-03-01", last: str = "2026-03-31") -> str:
    return f"{reverse(REPORT)}?from={first}&to={last}"


def test_the_report_gives_rates_per_team_category_and_priority_and_links_the_most_missed_step(
    client, clock, reporter, agent, resolver, manager, network_category,  # noqa: F811
):
    verified = worked(reporter, agent, resolver, network_category)
    unverified = worked(reporter, agent, resolver, network_category, verification="")
    client.force_login(manager)
    response = client.get(report_url())
    assert response.status_code == 200
    report = response.context["report"]
    assert report.total.incidents == 2
    assert [r.label for r in report.by_team] == ["Network"]
    assert [r.label for r in report.by_category] == ["Network"]
    assert [r.key for r in report.by_priority] == [3]
    steps = {step.key: step for step in report.most_missed}
    assert steps["restoration_verified"].count == 1
    assert steps["restoration_verified"].incidents == [(unverified.pk, unverified.reference)]
    html = response.content.decode()
    assert reverse("admin:incidents_incident_change", args=[unverified.pk]) in html
    assert verified.reference not in html.split('data-step="restoration_verified"')[1].split("</tr>")[0]


def test_the_report_leaves_out_drills_and_what_the_viewer_may_not_see(
    client, clock, reporter, agent, resolver, manager, network_category, network_team,  # noqa: F811
):
    worked(reporter, agent, resolver, network_category)
    worked(reporter, agent, resolver, network_category, exercise=True)
    secret = CategoryFactory(name="HR cases", default_team=network_team, confidential=True)
    worked(reporter, agent, resolver, secret)
    auditor = UserFactory(username="audrey", role=roles.AUDITOR)
    client.force_login(manager)
    assert client.get(report_url()).context["report"].total.incidents == 2
    client.force_login(auditor)
    response = client.get(report_url())
    assert response.status_code == 200
    assert response.context["report"].total.incidents == 1


def test_the_report_is_for_incident_managers_and_auditors_only(client, clock, resolver):  # noqa: F811
    client.force_login(resolver)
    assert client.get(report_url()).status_code == 403


def test_a_period_that_ends_before_it_starts_is_refused_with_a_sentence(client, clock, manager):  # noqa: F811
    client.force_login(manager)
    response = client.get(report_url("2026-03-20", "2026-03-01"))
    assert response.status_code == 400
    assert "ends (2026-03-01) before it starts (2026-03-20)" in response.content.decode()


def test_the_report_costs_the_same_queries_for_1_and_for_50_incidents(
    client, clock, reporter, agent, resolver, manager, network_category, network_team,  # noqa: F811
):
    client.force_login(manager)
    worked(reporter, agent, resolver, network_category)
    client.get(report_url())  # the session and the roles, read once like any first page
    one, response = count_queries(lambda: client.get(report_url()))
    assert response.status_code == 200
    other = CategoryFactory(name="Hosting", default_team=network_team)
    for i in range(49):
        worked(reporter, agent, resolver, network_category if i % 2 else other,
               verification="" if i % 4 else "Tested.", priority_levels=("high", "medium") if i % 5 == 0
               else ("low", "low"))
    clock.shift(timedelta(minutes=1))
    many, response = count_queries(lambda: client.get(report_url()))
    assert response.context["report"].total.incidents == 50
    assert_constant_queries("admin.compliance.conformance", one, many)
