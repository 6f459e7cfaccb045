"""The status page in the admin: incident managers run its groups and components (a state set by
hand through the service, so that who and when are recorded); the lists cost the same queries for
1 row and for 50."""

from __future__ import annotations

import pytest
from django.urls import reverse

from comms.models import StatusComponent, StatusGroup
from core.tests.api_support import assert_constant_queries, count_queries
from incidents.models import Service

pytestmark = pytest.mark.django_db


def components(n: int, start: int = 0) -> None:
    group = StatusGroup.objects.get_or_create(name="Network")[0]
    for i in range(start, start + n):
        StatusGroup.objects.get_or_create(name=f"Group {i}")
        StatusComponent.objects.create(service=Service.objects.create(name=f"Service {i}"), group=group,
                                       override="degraded_performance" if i % 2 else "",
                                       override_reason="Upgrade" if i % 2 else "")


@pytest.mark.parametrize(("url", "name"), [("admin:comms_statuscomponent_changelist", "admin.comms.statuscomponents"),
                                           ("admin:comms_statusgroup_changelist", "admin.comms.statusgroups")])
def test_the_status_page_lists_cost_the_same_queries_for_1_and_50_rows(client, manager, url, name):
    client.force_login(manager)
    components(1)
    client.get(reverse(url))
    one, _ = count_queries(lambda: client.get(reverse(url)))
    components(49, start=1)
    many, response = count_queries(lambda: client.get(reverse(url)))
    assert response.status_code == 200
    assert_constant_queries(name, one, many)


def test_the_desk_reads_the_components_and_only_incident_managers_change_them(client, agent, manager):
    components(1)
    component = StatusComponent.objects.get()
    change = reverse("admin:comms_statuscomponent_change", args=[component.pk])
    client.force_login(agent)
    assert client.get(change).status_code == 200
    client.post(change, {"group": "", "position": 0, "override": "major_outage", "override_reason": "Down"})
    component.refresh_from_db()
    assert component.override == "" and client.get(reverse("admin:comms_statuscomponent_add")).status_code == 403
    client.force_login(manager)
    assert client.get(reverse("admin:comms_statuscomponent_add")).status_code == 200
    assert client.get(reverse("admin:comms_statuscomponent_history", args=[component.pk])).status_code == 200
