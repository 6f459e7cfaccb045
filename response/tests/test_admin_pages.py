"""The major incidents in the admin and on the portal: the page that runs one, the panels on an
incident's pages, declaring one, and linking reports to it from the incident list."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import major, services
from incidents.models import Incident
from incidents.tests.factories import make_incident

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:incidents_incident_changelist")


def page_url(incident: Incident) -> str:
    return reverse("admin:response_majorincident_change", args=[incident.pk])


@pytest.fixture
def outage(reporter, network_category, resolver, manager):
    incident = services.transition(incident=make_incident(reporter=reporter, category=network_category,
                                                          summary="Core switch down"), user=resolver, name="claim")
    return major.declare(incident=incident, user=manager, reason="Two buildings offline", comms_lead=resolver)


def linked(outage, manager, reporter, category, count: int) -> list[Incident]:
    children = [make_incident(reporter=reporter, category=category, summary=f"No network, desk {n}")
                for n in range(count)]
    for child in children:
        major.link_child(parent=outage, child=child, user=manager)
    return children


def test_the_major_incident_page_shows_roles_children_stakeholders_timeline_clock_and_review(
        client, outage, manager, other_reporter, network_category):
    children = linked(outage, manager, other_reporter, network_category, 2)
    client.force_login(manager)
    response = client.get(page_url(outage))
    assert response.status_code == 200
    html = response.content.decode()
    for expected in ("Core switch down", "Incident commander", str(manager), "Communications lead",
                     *(c.reference for c in children), "Stakeholders", "communications lead", "Respond by",
                     "Post-incident review", "Declared a major incident: Two buildings offline"):
        assert expected in html, expected


def test_the_page_costs_the_same_queries_for_one_child_as_for_fifty(
        client, outage, manager, other_reporter, network_category, reporter):
    client.force_login(manager)
    linked(outage, manager, other_reporter, network_category, 1)
    with CaptureQueriesContext(connection) as one:
        assert client.get(page_url(outage)).status_code == 200
    linked(outage, manager, reporter, network_category, 49)
    with CaptureQueriesContext(connection) as fifty:
        assert client.get(page_url(outage)).status_code == 200
    assert len(fifty) == len(one)


def test_the_page_is_for_those_who_read_the_whole_record(
        client, manager, reporter, security_category, resolver, network_category):
    secret = major.declare(incident=make_incident(reporter=reporter, category=security_category),
                                    user=manager, reason="Credential theft")
    client.force_login(resolver)  # Network: not the Security team
    assert client.get(page_url(secret)).status_code == 404
    plain = make_incident(reporter=reporter, category=network_category)
    client.force_login(manager)
    assert client.get(page_url(plain)).status_code == 404  # not a major incident


def test_the_list_of_major_incidents_shows_the_ones_seen(client, outage, manager, resolver):
    client.force_login(resolver)
    response = client.get(reverse("admin:response_majorincident_changelist"))
    assert response.status_code == 200 and outage.reference in response.content.decode()


def test_a_manager_declares_from_the_incidents_page(client, manager, reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    client.force_login(manager)
    change = client.get(reverse("admin:incidents_incident_change", args=[incident.pk])).content.decode()
    declare = reverse("admin:response_majorincident_declare", args=[incident.pk])
    assert declare in change
    refused = client.post(declare, {"reason": ""})
    assert refused.status_code == 200 and not Incident.objects.get(pk=incident.pk).is_major
    assert client.post(declare, {"reason": "All of Lyon"}).status_code == 302
    assert Incident.objects.get(pk=incident.pk).commander == manager


def test_parent_and_child_pages_show_each_other(client, outage, manager, other_reporter, network_category):
    [child] = linked(outage, manager, other_reporter, network_category, 1)
    client.force_login(manager)
    parent_page = client.get(reverse("admin:incidents_incident_change", args=[outage.pk])).content.decode()
    assert child.reference in parent_page and "resolving this one resolves them" in parent_page
    child_page = client.get(reverse("admin:incidents_incident_change", args=[child.pk])).content.decode()
    assert "Handled as part of" in child_page and outage.reference in child_page
    client.force_login(other_reporter)
    portal = client.get(reverse("portal:incident_detail", args=[child.reference])).content.decode()
    assert "This is being handled as part of a major incident" in portal and "Core switch down" in portal


def test_reports_are_linked_in_bulk_from_the_incident_list(client, outage, manager, other_reporter, network_category,
                                                           security_category):
    reports = [make_incident(reporter=other_reporter, category=network_category, summary=f"Floor {n}")
               for n in (1, 2)]
    secret = make_incident(reporter=other_reporter, category=security_category, summary="Phish")
    selected = [str(i.pk) for i in (*reports, secret)]
    client.force_login(manager)
    chooser = client.post(CHANGELIST, {"action": "link_to_major", "_selected_action": selected})
    assert chooser.status_code == 200 and outage.reference in chooser.content.decode()
    searched = client.post(CHANGELIST, {"action": "link_to_major", "_selected_action": selected, "search": "nothing-like"})
    assert outage.reference not in searched.content.decode()
    done = client.post(CHANGELIST, {"action": "link_to_major", "_selected_action": selected, "search": "",
                                    "major": outage.pk, "apply": "Link"}, follow=True)
    text = done.content.decode()
    assert "2 incidents linked to" in text and "is confidential" in text
    assert set(Incident.objects.filter(parent=outage).values_list("pk", flat=True)) == {r.pk for r in reports}


def test_a_manager_names_the_commander_of_one_the_rule_declared(client, manager, resolver, reporter, network_category):
    declared = major.declare(incident=make_incident(reporter=reporter, category=network_category),
                                      user=None, reason="Escalated: P1 unassigned")
    client.force_login(manager)
    assert client.post(reverse("admin:response_majorincident_roles", args=[declared.pk]),
                       {"commander": resolver.pk, "comms_lead": manager.pk, "reason": "Nick knows the switch"}
                       ).status_code == 302
    named = Incident.objects.get(pk=declared.pk)
    assert (named.commander, named.comms_lead) == (resolver, manager)
    assert named.history.latest().history_change_reason == "Major incident roles: Nick knows the switch"
    client.force_login(resolver)  # not a manager: refused by the service, with its sentence
    client.post(reverse("admin:response_majorincident_roles", args=[declared.pk]), {"commander": ""})
    assert Incident.objects.get(pk=declared.pk).commander == resolver


def test_the_list_of_major_incidents_costs_the_same_queries_for_one_row_as_for_fifty(
        client, manager, reporter, network_category):
    def declare(count: int) -> None:
        for n in range(count):
            major.declare(incident=make_incident(reporter=reporter, category=network_category,
                                                          summary=f"Outage {n}"), user=manager, reason="Big")

    client.force_login(manager)
    url = reverse("admin:response_majorincident_changelist")
    declare(1)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    declare(49)
    with CaptureQueriesContext(connection) as fifty:
        assert client.get(url).status_code == 200
    assert len(fifty) == len(one)
