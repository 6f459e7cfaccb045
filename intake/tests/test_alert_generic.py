"""The generic JSON intake (Grafana, Zabbix, Nagios, scripts): the same de-duplication, per dedup_key."""

from __future__ import annotations

import pytest

from core.tests.api_support import assert_error, token_client
from incidents.models import Channel, Incident, Priority
from intake.accounts import service_account
from intake.models import AlertGroup, AlertSource, SourceKind

pytestmark = pytest.mark.django_db
URL = "/api/v1/intake/alerts/"


@pytest.fixture
def script(db):
    source = AlertSource.objects.create(name="Backup checks", kind=SourceKind.GENERIC,
                                        service_user=service_account("alerts", "Backup checks"))
    return token_client(source.service_user)


def test_an_alert_opens_an_incident_and_its_repeats_update_it(script):
    alert = {"title": "Nightly backup failed on db-2", "description": "pg_dump exited with 1",
             "severity": "high", "dedup_key": "backup/db-2",
             "links": [{"url": "https://grafana.example.com/d/backups", "title": "Dashboard"}],
             "labels": {"host": "db-2"}}
    first = script.post(URL, alert, format="json")
    again = script.post(URL, alert, format="json")

    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["incident"] == first.json()["incident"] and again.json()["occurrences"] == 2
    incident = Incident.objects.get()
    assert incident.channel == Channel.MONITORING and incident.priority == Priority.P2
    assert "Dashboard: https://grafana.example.com/d/backups" in incident.description
    assert "- host: db-2" in incident.description


def test_without_a_dedup_key_the_title_and_service_are_the_key(script):
    a = script.post(URL, {"title": "Disk full", "service": "Mail"}, format="json").json()
    b = script.post(URL, {"title": "Disk full", "service": "Mail"}, format="json").json()
    c = script.post(URL, {"title": "Disk full", "service": "Web"}, format="json").json()
    assert a["incident"] == b["incident"] != c["incident"]


def test_resolved_clears_the_group(script):
    script.post(URL, {"title": "Ping lost", "dedup_key": "ping/r1"}, format="json")
    response = script.post(URL, {"title": "Ping lost", "dedup_key": "ping/r1", "status": "resolved"}, format="json")
    assert response.status_code == 200 and response.json()["changed"] is True
    assert AlertGroup.objects.get().status == "resolved"


@pytest.mark.parametrize("payload, field", [
    ({}, "title"),
    ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"title": "t", "status": "burning"}, "status"),
    ({"title": "t", "links": [{"url": "javascript:alert(1)"}]}, "links"),
    ({"title": "t", "labels": {"a": ["list"]}}, "labels"),
    ({"title": "t", "labels": {f"l{n}": "v" for n in range(101)}}, "labels"),
    ({"title": "t", "occurred_at": "soon"}, "occurred_at"),
])
def test_invalid_alerts_are_refused_field_by_field(script, payload, field):
    body = assert_error(script.post(URL, payload, format="json"), 400, "invalid")
    assert any(name == field or name.startswith(f"{field}.") for name in body["errors"]), body
    assert not Incident.objects.exists()
