"""Runbooks: a published knowledge-base article marked as the runbook of a service or a category is
shown to the desk at triage (the incident page, the team queue) and in the staff shape of the API;
never to a reporter."""

from __future__ import annotations

import pytest
from django.forms import modelform_factory
from django.urls import reverse

from core.tests.api_support import count_queries
from incidents import selectors, services
from incidents.admin.config import ServiceAdmin
from incidents.models import Incident, Service
from knowledge_base import services as kb_services
from knowledge_base.tests.factories import ArticleFactory
from knowledge_base.workflow import State as KnowledgeState

from .factories import CategoryFactory, ServiceFactory, make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def vpn_runbook(db):
    return ArticleFactory(title="Runbook: VPN outages", body="1. Check the concentrator.", audience="internal")


@pytest.fixture
def network_runbook(db):
    return ArticleFactory(title="Runbook: network incidents", body="1. Check the core switches.",
                          audience="internal")


@pytest.fixture
def vpn(vpn_runbook):
    return ServiceFactory(name="VPN", runbook=vpn_runbook)


@pytest.fixture
def network(network_category, network_runbook):
    network_category.runbook = network_runbook
    network_category.save()
    return network_category


def test_the_services_runbook_comes_first_then_the_categorys(reporter, vpn, network, vpn_runbook, network_runbook):
    assert selectors.runbook_of(make_incident(reporter=reporter, category=network, service=vpn)) == vpn_runbook
    assert selectors.runbook_of(make_incident(reporter=reporter, category=network)) == network_runbook
    assert selectors.runbook_of(make_incident(reporter=reporter, service=ServiceFactory(name="Payroll"))) is None


def test_a_runbook_no_longer_published_is_not_shown(reporter, vpn, network, vpn_runbook, network_runbook, manager):
    kb_services.transition(item=vpn_runbook, user=manager, name="revise", reason="Concentrator replaced")
    incident = Incident.objects.get(pk=make_incident(reporter=reporter, category=network, service=vpn).pk)
    assert selectors.runbook_of(incident) == network_runbook, "the category's, while the service's is a draft"


def test_only_a_published_article_may_be_chosen_as_a_runbook(vpn_runbook):
    draft = ArticleFactory(title="Runbook being written", state=KnowledgeState.DRAFT)
    field = modelform_factory(Service, fields=["runbook"])().fields["runbook"]
    assert vpn_runbook in field.queryset and draft not in field.queryset
    assert ServiceAdmin.autocomplete_fields == ("runbook",)


# --- admin --------------------------------------------------------------------------------------------
def test_the_incident_page_shows_the_runbook_at_triage(client, agent, reporter, vpn, vpn_runbook):
    incident = make_incident(reporter=reporter, service=vpn)
    client.force_login(agent)
    page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk])).content.decode()
    link = reverse("admin:knowledge_base_article_change", args=[vpn_runbook.pk])
    assert f'<a href="{link}">Runbook: VPN outages</a>' in page
    assert "the VPN service’s; follow it while you triage" in page


def test_the_incident_page_says_nothing_of_a_runbook_when_there_is_none(client, agent, reporter):
    incident = make_incident(reporter=reporter, service=ServiceFactory(name="Payroll"))
    client.force_login(agent)
    page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk])).content.decode()
    assert 'id="runbook"' not in page


def test_the_queue_shows_each_incidents_runbook_at_a_constant_query_count(client, resolver, reporter, network,
                                                                          network_runbook):
    queue = reverse("admin:incidents_incident_queue")
    client.force_login(resolver)
    make_incident(reporter=reporter, category=network)
    client.get(queue)  # warm the per-process caches
    one, response = count_queries(lambda: client.get(queue))
    assert [runbook for _, _, runbook, _ in response.context["rows"]] == [network_runbook]
    assert "Runbook: network incidents" in response.content.decode()
    for n in range(49):
        runbook = ArticleFactory(title=f"Runbook {n}")
        make_incident(reporter=reporter, category=network, service=ServiceFactory(name=f"Service {n}", runbook=runbook),
                      summary=f"Switch port {n} flapping")
    fifty, response = count_queries(lambda: client.get(queue))
    assert len(response.context["rows"]) == 50 and all(runbook for _, _, runbook, _ in response.context["rows"])
    assert one == fifty


# --- API ----------------------------------------------------------------------------------------------
@pytest.fixture
def api(actors):
    return actors


def test_the_staff_shape_carries_the_runbook(api, vpn, vpn_runbook):
    category = CategoryFactory(name="Network", default_team=api.team)
    incident = make_incident(reporter=api["reporter"], category=category, service=vpn)
    body = api.client("desk_agent").get(f"/api/v1/incidents/{incident.reference}/").json()
    assert body["access"] == "staff"
    assert body["runbook"] == {"id": vpn_runbook.pk, "title": "Runbook: VPN outages",
                               "url": f"http://testserver/api/v1/articles/{vpn_runbook.pk}/"}


def test_the_staff_shape_says_null_without_a_runbook(api):
    incident = make_incident(reporter=api["reporter"], category=CategoryFactory(name="Network", default_team=api.team))
    body = api.client("desk_agent").get(f"/api/v1/incidents/{incident.reference}/").json()
    assert body["runbook"] is None


def test_a_reporter_never_sees_the_runbook(api, vpn):
    incident = make_incident(reporter=api["reporter"], service=vpn)
    client = api.client("reporter")
    assert "runbook" not in client.get(f"/api/v1/incidents/{incident.reference}/").json()
    assert all("runbook" not in row for row in client.get("/api/v1/incidents/").json()["results"])


def test_the_runbook_follows_an_edit_of_the_service(api, vpn, vpn_runbook):
    incident = make_incident(reporter=api["reporter"], category=CategoryFactory(name="Network", default_team=api.team))
    response = api.client("desk_agent").patch(f"/api/v1/incidents/{incident.reference}/",
                                              {"service": vpn.pk, "version": incident.version}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["runbook"]["id"] == vpn_runbook.pk


def test_incidents_are_not_edited_by_choosing_a_runbook(reporter, vpn):
    # The runbook belongs to the service: an incident has no field of its own to set.
    assert "runbook" not in services.EDITABLE_FIELDS
