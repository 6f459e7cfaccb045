"""Drills in the admin: scenarios with their steps, "start drill" for incident managers, the drill's
page with its incident, steps and score; and a drill marked as an exercise on the incident's list,
change page, the portal and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.tests.api_support import assert_constant_queries, count_queries
from drills import services
from drills.models import Drill, Scenario, ScenarioStep, StepKind, StepStatus
from incidents.models import Incident
from incidents.tests.factories import make_incident

pytestmark = pytest.mark.django_db


def _drills(count: int, scenario: Scenario, manager, reporter) -> None:
    for n in range(count):
        incident = make_incident(reporter=reporter, summary=f"Drill incident {n}", exercise=True)
        Drill.objects.create(scenario=scenario, incident=incident, started_by=manager)


def _scenarios(count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        scenario = Scenario.objects.create(title=f"Scenario {n}", summary=f"Outage {n}")
        ScenarioStep.objects.create(scenario=scenario, offset_minutes=1, kind=StepKind.COMMENT, text="Any news?")


def test_the_scenario_list_costs_the_same_queries_for_one_row_as_for_fifty(client, manager):
    client.force_login(manager)
    url = reverse("admin:drills_scenario_changelist")
    _scenarios(1)
    one, response = count_queries(lambda: client.get(url))
    assert response.status_code == 200
    _scenarios(49, start=1)
    fifty, response = count_queries(lambda: client.get(url))
    assert response.status_code == 200 and b"Scenario 49" in response.content
    assert_constant_queries("admin.drills.scenario", one, fifty)


def test_the_drill_list_costs_the_same_queries_for_one_row_as_for_fifty(client, manager, reporter, core_switch):
    client.force_login(manager)
    url = reverse("admin:drills_drill_changelist")
    _drills(1, core_switch, manager, reporter)
    one, response = count_queries(lambda: client.get(url))
    assert response.status_code == 200
    _drills(49, core_switch, manager, reporter)
    fifty, response = count_queries(lambda: client.get(url))
    assert response.status_code == 200 and response.context["cl"].result_count == 50
    assert_constant_queries("admin.drills.drill", one, fifty)


def test_an_incident_manager_starts_a_drill_from_the_scenarios_page_and_follows_it_on_the_drills_page(
        client, manager, core_switch):
    client.force_login(manager)
    page = client.get(reverse("admin:drills_scenario_change", args=[core_switch.pk]))
    start = reverse("admin:drills_scenario_start", args=[core_switch.pk])
    assert start.encode() in page.content
    assert client.get(start).status_code == 405  # a link followed by a scanner starts nothing
    assert not Drill.objects.exists()

    response = client.post(start, follow=True)

    drill = Drill.objects.get()
    assert response.redirect_chain[-1][0] == reverse("admin:drills_drill_change", args=[drill.pk])
    html = response.content.decode()
    assert drill.incident.reference in html and "core-sw-1 unreachable" in html
    assert html.count(">Pending<") == 4
    assert "End the drill and score it" in html


def test_the_start_button_is_refused_to_those_who_are_not_incident_managers(client, agent, core_switch):
    client.force_login(agent)
    response = client.post(reverse("admin:drills_scenario_start", args=[core_switch.pk]), follow=True)
    assert "Only incident managers start drills" in response.content.decode()
    assert not Drill.objects.exists() and not Incident.objects.exists()


def test_ending_from_the_drills_page_shows_its_score(client, manager, core_switch):
    drill = services.start_drill(scenario=core_switch, by=manager)
    client.force_login(manager)
    response = client.post(reverse("admin:drills_drill_end", args=[drill.pk]), {"notes": "Good call tree."},
                           follow=True)
    drill.refresh_from_db()
    html = response.content.decode()
    assert drill.applicable is not None
    assert f"{drill.met} of {drill.applicable} SOP steps met" in html
    assert "Good call tree." in html and "End the drill and score it" not in html
    assert drill.steps.filter(status=StepStatus.SKIPPED).count() == 4


def test_a_drill_is_marked_on_the_incident_list_its_filter_and_its_change_page(client, manager, reporter,
                                                                               core_switch):
    drill = services.start_drill(scenario=core_switch, by=manager)
    real = make_incident(reporter=reporter, summary="Printer on fire")
    client.force_login(manager)
    listing = client.get(reverse("admin:incidents_incident_changelist")).content.decode()
    assert listing.count('class="drill-badge"') == 1
    only_drills = client.get(reverse("admin:incidents_incident_changelist") + "?exercise__exact=1")
    assert [i.pk for i in only_drills.context["cl"].result_list] == [drill.incident_id]
    change = client.get(reverse("admin:incidents_incident_change", args=[drill.incident_id])).content.decode()
    assert 'class="drill-banner"' in change and "Core switch failure" in change  # the banner and the drill panel
    assert reverse("admin:drills_drill_change", args=[drill.pk]) in change
    plain = client.get(reverse("admin:incidents_incident_change", args=[real.pk])).content.decode()
    assert 'class="drill-banner"' not in plain


def test_the_api_and_the_portal_say_it_is_a_drill(client, manager, reporter):
    drill = make_incident(reporter=reporter, exercise=True)
    real = make_incident(reporter=reporter)
    client.force_login(manager)
    assert client.get(f"/api/v1/incidents/{drill.reference}/").json()["exercise"] is True
    assert client.get(f"/api/v1/incidents/{real.reference}/").json()["exercise"] is False
    client.force_login(reporter)
    assert "This is a drill" in client.get(drill.get_absolute_url()).content.decode()
    assert "This is a drill" not in client.get(real.get_absolute_url()).content.decode()
