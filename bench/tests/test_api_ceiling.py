"""The API benchmarks' ceilings (`bench.api_views`) and the load generator's API phases."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from rest_framework.test import APIClient

from bench.api_load import path_of
from bench.loadgen import parse_phase
from bench.management.commands.generate_dataset import Command as GenerateDataset
from incidents import roles
from incidents.models import Incident, IncidentEvent, Notification
from tokens.services import issue

ANCHOR = date(2026, 6, 1)


def client_of(group: str) -> APIClient:
    user = get_user_model().objects.filter(groups__name=group).order_by("pk").first()
    _, key = issue(user=user, name="bench test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="bench.urls")
def test_the_bare_list_returns_the_rows_the_api_list_does_for_the_same_ids():
    call_command(GenerateDataset(), incidents=150, seed=3, anchor=ANCHOR, verbosity=0)
    client = client_of(roles.DESK_AGENT)
    first = client.get("/api/v1/incidents/").json()
    pages = [first, client.get(path_of(first["next"])).json(), client.get("/api/v1/incidents/?state=closed").json()]
    for page in pages:
        ids = [row["id"] for row in page["results"]]
        assert ids
        bare = client.get(f"/bench/api/incidents/?ids={','.join(map(str, ids))}")
        assert bare.status_code == 200
        assert bare.json()["results"] == page["results"]
    assert len(pages[0]["results"]) == 50
    # Rows with people, teams and SLA deadlines are among them, not only empty fields.
    rows = [row for page in pages for row in page["results"]]
    assert any(row["assignee"] for row in rows) and any(row["team"] for row in rows)
    # The ceiling needs a token like the API: without one it answers 401.
    assert APIClient().get("/bench/api/incidents/?ids=1").status_code == 401


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="bench.urls")
def test_the_bare_create_writes_the_rows_of_a_submission_from_a_json_post():
    call_command(GenerateDataset(), incidents=50, seed=3, anchor=ANCHOR, verbosity=0)
    client = client_of(roles.REPORTER)
    before = Incident.objects.count(), IncidentEvent.objects.count(), Notification.objects.count()
    response = client.post("/bench/api/write-rows/", {"summary": "VPN drops", "description": "Twice."}, format="json")
    assert response.status_code == 201
    incident = Incident.objects.get(pk=response.json()["id"])
    assert incident.summary == "VPN drops" and incident.reference == response.json()["reference"]
    assert (Incident.objects.count(), IncidentEvent.objects.count(), Notification.objects.count()) == tuple(
        n + 1 for n in before)
    assert incident.history.count() == 1


def test_the_load_generator_reads_api_phases_and_keeps_the_others():
    assert [(p.kind, p.path, p.form_path) for p in map(parse_phase, [
        "list=api-get:/api/v1/incidents/?cursor=cD0y", "create=api-post:/api/v1/incidents/",
        "page=get:/admin/?q=a:b", "portal=/portal/report/>/portal/report/", "bare=/bench/write/",
    ])] == [("api-get", "/api/v1/incidents/?cursor=cD0y", ""), ("api-post", "/api/v1/incidents/", ""),
            ("get", "/admin/?q=a:b", ""), ("form", "/portal/report/", "/portal/report/"),
            ("form", "/bench/write/", "")]
