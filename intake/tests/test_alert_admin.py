"""Alert sources in the admin: created with their own account, tokens issued once, and the groups
listed only where their incident may be read in full."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from core.tests.api_support import assert_constant_queries, count_queries, token_client
from incidents import roles
from incidents.tests.factories import TeamFactory, UserFactory
from intake.accounts import service_account
from intake.models import AlertGroup, AlertSource, SourceKind

from .alert_payloads import alert, webhook

pytestmark = pytest.mark.django_db
SOURCES = reverse("admin:intake_alertsource_changelist")
GROUPS = reverse("admin:intake_alertgroup_changelist")


def make_source(name="Prometheus"):
    return AlertSource.objects.create(name=name, kind=SourceKind.ALERTMANAGER,
                                      service_user=service_account("alerts", name))


def test_an_incident_manager_adds_a_source_and_issues_its_token_which_then_posts(client, manager):
    client.force_login(manager)
    response = client.post(reverse("admin:intake_alertsource_add"), {
        "name": "Prometheus EU", "kind": "alertmanager", "active": "on", "dedup_labels": "[]",
        "default_impact": "medium", "default_urgency": "medium",
        "rules-TOTAL_FORMS": "1", "rules-INITIAL_FORMS": "0", "rules-0-position": "0", "rules-0-label": "severity",
        "rules-0-value": "page", "rules-0-impact": "high", "rules-0-urgency": "high",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    source = AlertSource.objects.get(name="Prometheus EU")
    account = source.service_user
    assert account.username == "intake-alerts-prometheus-eu" and not account.has_usable_password()
    assert not roles.is_staff_role(account) and not account.is_staff
    assert source.rules.get().value == "page"

    page = client.post(SOURCES, {"action": "issue_token", "_selected_action": [source.pk]}, follow=True)
    key = re.search(r'<code class="api-token">(itsm_[^<]+)</code>', page.content.decode()).group(1)
    from rest_framework.test import APIClient

    machine = APIClient()
    machine.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert machine.post("/api/v1/intake/alertmanager/", webhook(alert(severity="page")), format="json").status_code == 201


def test_a_desk_agent_reads_sources_but_may_not_change_them(client, agent):
    source = make_source()
    client.force_login(agent)
    assert client.get(SOURCES).status_code == 200
    assert client.get(reverse("admin:intake_alertsource_add")).status_code == 403
    page = client.post(reverse("admin:intake_alertsource_change", args=[source.pk]), {"name": "Renamed"})
    assert page.status_code == 403
    assert AlertSource.objects.get().name == "Prometheus"


def test_a_group_of_a_confidential_incident_is_listed_only_to_who_reads_the_incident(client, agent, manager):
    security = TeamFactory(name="Security", slug="security")
    source = make_source()
    source.default_team = security
    source.save()
    reference = token_client(source.service_user).post(
        "/api/v1/intake/alertmanager/", webhook(alert()), format="json").json()["incident"]
    AlertGroup.objects.get().incident.__class__.objects.filter(reference=reference).update(confidential=True)
    member = UserFactory(username="sam", role=roles.RESOLVER, team=security)

    for user, sees in ((agent, False), (member, True), (manager, True)):
        client.force_login(user)
        page = client.get(GROUPS)
        assert page.status_code == 200
        assert (reference in page.content.decode()) is sees, user


def test_the_source_list_costs_the_same_queries_for_1_and_50_sources(client, manager):
    make_source("Source 0")
    client.force_login(manager)
    one, _ = count_queries(lambda: client.get(SOURCES))
    for n in range(1, 50):
        make_source(f"Source {n}")
    many, response = count_queries(lambda: client.get(SOURCES))
    assert len(response.context["cl"].result_list) == 50
    assert_constant_queries("admin.intake.alertsources", one, many)


def test_the_group_list_costs_the_same_queries_for_1_and_50_groups(client, manager):
    post = token_client(make_source().service_user).post
    post("/api/v1/intake/alertmanager/", webhook(alert(), group="g0"), format="json")
    client.force_login(manager)
    one, _ = count_queries(lambda: client.get(GROUPS))
    for n in range(1, 50):
        post("/api/v1/intake/alertmanager/", webhook(alert(), group=f"g{n}"), format="json")
    many, response = count_queries(lambda: client.get(GROUPS))
    assert len(response.context["cl"].result_list) == 50
    assert_constant_queries("admin.intake.alertgroups", one, many)


def test_the_incident_page_shows_the_alerts_behind_it_to_the_desk(client, agent, reporter):
    source = make_source()
    post = token_client(source.service_user).post
    reference = post("/api/v1/intake/alertmanager/", webhook(alert(instance="pay-1"), alert(instance="pay-2")),
                     format="json").json()["incident"]
    post("/api/v1/intake/alertmanager/", webhook(alert(instance="pay-1"), alert(instance="pay-2")), format="json")
    group = AlertGroup.objects.get()
    client.force_login(agent)

    page = client.get(reverse("admin:incidents_incident_change", args=[group.incident_id])).content.decode()

    assert "Monitoring alert" in page and "From <strong>Prometheus</strong>: fired 2 times" in page
    assert "instance=pay-2" in page and reverse("admin:intake_alertgroup_change", args=[group.pk]) in page
    assert reference in page


def test_an_incident_not_from_an_alert_has_no_alert_panel(client, agent, reporter):
    from incidents.tests.factories import make_incident

    incident = make_incident(reporter=reporter)
    client.force_login(agent)
    page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk])).content.decode()
    assert "Monitoring alert" not in page
