"""The configuration admins (teams, categories, services, the priority matrix), the read-only event
log, and the site's branding."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from incidents.models import Category, IncidentEvent, PriorityRule, Service, Team

from .factories import TeamFactory, make_incident


def test_admin_is_branded_service_desk(client, agent):
    client.force_login(agent)
    html = client.get(reverse("admin:index")).content.decode()
    assert '<div id="site-name"><a href="/admin/">Service Desk</a></div>' in html
    assert "<title>Incidents and their configuration | Service Desk</title>" in html


@pytest.mark.parametrize("model", [Team, Category, Service, PriorityRule])
def test_configuration_keeps_its_history(model):
    assert isinstance(admin.site._registry[model], SimpleHistoryAdmin)


def test_team_members_are_chosen_with_a_two_pane_selector(client, manager, network_team):
    client.force_login(manager)
    response = client.get(reverse("admin:incidents_team_change", args=[network_team.pk]))
    assert response.status_code == 200
    assert 'class="selectfilter"' in response.content.decode()


def test_incident_manager_adds_a_member_and_the_change_is_in_the_teams_history(
    client, manager, network_team, resolver, other_resolver
):
    client.force_login(manager)
    response = client.post(reverse("admin:incidents_team_change", args=[network_team.pk]), {
        "name": "Network", "slug": "network", "tier": 2, "email": "network@example.com",
        "members": [resolver.pk, other_resolver.pk],
    })
    assert response.status_code == 302
    assert set(network_team.members.all()) == {resolver, other_resolver}
    assert network_team.history.first().history_user == manager


def test_team_list_counts_members_without_a_query_per_team(client, manager, network_team):
    url = reverse("admin:incidents_team_changelist")
    client.force_login(manager)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(30):
        TeamFactory(name=f"Team {n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["cl"].result_list) == 31
    assert len(one.captured_queries) == len(many.captured_queries)


def test_incident_manager_changes_a_cell_of_the_priority_matrix(client, manager):
    cells = list(PriorityRule.objects.order_by("impact", "urgency"))
    data = {
        "form-TOTAL_FORMS": len(cells), "form-INITIAL_FORMS": len(cells), "form-MIN_NUM_FORMS": 0,
        "form-MAX_NUM_FORMS": 1000, "_save": "Save",
    }
    for i, cell in enumerate(cells):
        data[f"form-{i}-id"] = cell.pk
        data[f"form-{i}-priority"] = cell.priority
    low_low = next(i for i, c in enumerate(cells) if (c.impact, c.urgency) == ("low", "low"))
    data[f"form-{low_low}-priority"] = 3
    client.force_login(manager)
    response = client.post(reverse("admin:incidents_priorityrule_changelist"), data)
    assert response.status_code == 302
    assert PriorityRule.objects.get(impact="low", urgency="low").priority == 3


def test_desk_agents_see_the_priority_matrix_but_cannot_change_it(client, agent):
    cell = PriorityRule.objects.get(impact="low", urgency="low")
    client.force_login(agent)
    assert client.get(reverse("admin:incidents_priorityrule_changelist")).status_code == 200
    response = client.post(reverse("admin:incidents_priorityrule_change", args=[cell.pk]),
                           {"impact": "low", "urgency": "low", "priority": 1})
    assert response.status_code == 403
    assert PriorityRule.objects.get(pk=cell.pk).priority == 4


def test_matrix_cells_are_neither_added_nor_deleted(client, manager):
    cell = PriorityRule.objects.first()
    client.force_login(manager)
    assert client.get(reverse("admin:incidents_priorityrule_add")).status_code == 403
    assert client.post(reverse("admin:incidents_priorityrule_delete", args=[cell.pk]), {"post": "yes"}).status_code == 403


def test_incident_events_are_read_only(client, manager, reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    event = IncidentEvent.objects.get(incident=incident)
    client.force_login(manager)
    assert client.get(reverse("admin:incidents_incidentevent_changelist")).status_code == 200
    assert client.get(reverse("admin:incidents_incidentevent_add")).status_code == 403
    response = client.get(reverse("admin:incidents_incidentevent_change", args=[event.pk]))
    assert response.status_code == 200
    assert 'name="message"' not in response.content.decode()
    response = client.post(reverse("admin:incidents_incidentevent_change", args=[event.pk]), {"message": "Edited"})
    assert response.status_code == 403


def test_events_of_confidential_incidents_are_hidden_from_non_members(
    client, agent, reporter, security_category, network_category
):
    secret = make_incident(reporter=reporter, category=security_category)
    ordinary = make_incident(reporter=reporter, category=network_category)
    client.force_login(agent)
    response = client.get(reverse("admin:incidents_incidentevent_changelist"))
    shown = {event.incident_id for event in response.context["cl"].result_list}
    assert shown == {ordinary.pk}
    assert secret.pk not in shown
