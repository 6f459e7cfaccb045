"""The API of major incidents: declaring and standing down, and the incidents linked under one
(`/incidents/{parent}/children/`), through the same services as the admin."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.tests.api_support import assert_error
from incidents import major
from incidents.models import Incident

from .factories import CategoryFactory, make_incident

pytestmark = pytest.mark.django_db
URL = "/api/v1/incidents/"


@pytest.fixture
def network(actors):
    return CategoryFactory(name="Network", default_team=actors.team)


@pytest.fixture
def outage(actors, network):
    incident = make_incident(reporter=actors["reporter"], category=network, summary="Core switch down")
    return major.declare(incident=incident, user=actors["incident_manager"], reason="Two buildings")


def children_url(parent: Incident) -> str:
    return f"{URL}{parent.reference}/children/"


def test_an_incident_manager_declares_and_stands_down_through_the_api(actors, network):
    incident = make_incident(reporter=actors["reporter"], category=network)
    manager = actors.client("incident_manager")
    assert_error(actors.client("team_resolver").post(f"{URL}{incident.reference}/major/", {"reason": "Big"}),
                 409, "refused")
    assert_error(manager.post(f"{URL}{incident.reference}/major/", {}), 400, "invalid")
    body = manager.post(f"{URL}{incident.reference}/major/",
                        {"reason": "All of Lyon", "comms_lead": actors["desk_agent"].pk}).json()
    assert body["is_major"] and body["commander"]["username"] == "ivan"
    assert body["comms_lead"]["username"] == actors["desk_agent"].username
    down = manager.post(f"{URL}{incident.reference}/major/stand-down/", {"reason": "One switch only"})
    assert down.status_code == 200 and down.json()["is_major"] is False


def test_children_are_linked_listed_and_unlinked(actors, outage, network):
    child = make_incident(reporter=actors["other_reporter"], category=network, summary="Floor 2 offline")
    client = actors.client("team_resolver")
    created = client.post(children_url(outage), {"incident": child.reference})
    assert created.status_code == 201, created.content
    assert created.json()["reference"] == child.reference
    assert client.post(children_url(outage), {"incident": child.reference}).status_code == 200  # again: no-op
    listed = client.get(children_url(outage)).json()["results"]
    assert [row["reference"] for row in listed] == [child.reference]
    parent = client.get(f"{URL}{outage.reference}/").json()
    assert parent["children_count"] == 1 and parent["commander"]["username"] == "ivan"
    shown = client.get(f"{URL}{child.reference}/").json()
    assert (shown["parent"], shown["parent_reference"]) == (outage.pk, outage.reference)
    assert client.delete(f"{children_url(outage)}{child.reference}/").status_code == 204
    assert Incident.objects.get(pk=child.pk).parent is None
    assert client.delete(f"{children_url(outage)}{child.reference}/").status_code == 404


def test_a_refused_link_is_409_with_the_sentence(actors, outage, network):
    other = major.declare(incident=make_incident(reporter=actors["reporter"], category=network),
                                   user=actors["incident_manager"], reason="Second")
    response = actors.client("incident_manager").post(children_url(other), {"incident": outage.reference})
    assert "no chains" in assert_error(response, 409, "refused")["detail"]


def test_the_list_counts_children_of_each_row(actors, outage, network):
    for n in range(3):
        major.link_child(parent=outage, child=make_incident(reporter=actors["reporter"], category=network,
                                                               summary=f"Desk {n}"), user=actors["incident_manager"])
    rows = actors.client("incident_manager").get(URL).json()["results"]
    counts = {row["reference"]: row["children_count"] for row in rows}
    assert counts[outage.reference] == 3 and sum(counts.values()) == 3


def test_the_children_list_costs_the_same_queries_for_one_as_for_fifty(actors, outage, network):
    def link(count: int) -> None:
        for n in range(count):
            child = make_incident(reporter=actors["reporter"], category=network, summary=f"Desk {n}")
            major.link_child(parent=outage, child=child, user=actors["incident_manager"])

    client = actors.client("incident_manager")
    link(1)
    client.get(children_url(outage))  # the caller's first request reads what later ones have cached
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(children_url(outage)).json()["results"]) == 1
    link(49)
    with CaptureQueriesContext(connection) as fifty:
        assert len(client.get(children_url(outage)).json()["results"]) == 50
    assert len(fifty) == len(one)
