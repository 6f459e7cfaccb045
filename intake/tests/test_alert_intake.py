"""Alertmanager's webhook into incidents: one open incident per group, repeats update it, a clearing
notes (and per source resolves) it, a firing after close opens a new one linked to the old."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.tests.api_support import assert_error, token_client
from incidents import roles, services
from incidents.models import Channel, EventKind, Incident, Priority, Service
from incidents.tests.factories import TeamFactory, UserFactory
from incidents.workflow import State
from intake.accounts import service_account
from intake.models import AlertGroup, AlertSource, LabelRule, SourceKind

from .alert_payloads import alert, webhook

pytestmark = pytest.mark.django_db
URL = "/api/v1/intake/alertmanager/"


@pytest.fixture
def source(db):
    return AlertSource.objects.create(name="Prometheus", kind=SourceKind.ALERTMANAGER,
                                      service_user=service_account("alerts", "Prometheus"))


@pytest.fixture
def am(source):
    return token_client(source.service_user)


def post(client, payload, url=URL):
    return client.post(url, payload, format="json")


def alert_events(incident):
    return list(incident.events.filter(kind=EventKind.ALERT).order_by("pk").values_list("message", flat=True))


def test_a_critical_alert_opens_a_p1_incident_reported_by_the_source(am, source):
    response = post(am, webhook(alert(service="Payments")))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["opened"] is True and body["occurrences"] == 1 and body["status"] == "firing"
    incident = Incident.objects.get(reference=body["incident"])
    assert incident.channel == Channel.MONITORING
    assert incident.reporter == source.service_user
    assert incident.priority == Priority.P1
    assert incident.summary == "HighErrorRate on pay-1"
    assert "Error rate is 7.2% over 5 minutes." in incident.description
    assert "- instance: pay-1" in incident.description
    assert "http://prometheus.example.com:9090/graph" in incident.description
    assert incident.respond_by is not None, "the SLA clock runs as for any incident"
    assert incident.events.filter(kind=EventKind.CREATED).count() == 1


def test_a_repeat_updates_the_open_incident_and_writes_no_timeline_entry_when_nothing_changed(am):
    first = post(am, webhook(alert())).json()
    again = post(am, webhook(alert()))

    assert again.status_code == 200
    assert again.json() | {"detail": ""} == {
        "incident": first["incident"], "opened": False, "changed": False, "occurrences": 2, "status": "firing",
        "unmapped": {}, "detail": ""}
    assert Incident.objects.count() == 1
    group = AlertGroup.objects.get()
    assert group.occurrences == 2 and group.last_seen_at > group.first_seen_at
    assert alert_events(group.incident) == []


@pytest.mark.parametrize("returning", [True, False], ids=["one-statement", "without-returning"])
def test_an_unchanged_repeat_is_counted_the_same_with_or_without_update_returning(am, returning, monkeypatch):
    # The one-statement count needs UPDATE ... RETURNING (SQLite 3.35+, PostgreSQL); without it the
    # locked path counts the repeat. Either way the group's times read back as the ORM writes them.
    from intake.alerts import ingest

    monkeypatch.setattr(ingest, "_has_update_returning", lambda conn: returning)
    first = post(am, webhook(alert(), team="nobody")).json()
    before = AlertGroup.objects.get().last_seen_at
    answers = [post(am, webhook(alert(), team="nobody")).json() for _ in range(3)]

    assert [a["occurrences"] for a in answers] == [2, 3, 4]
    assert {a["incident"] for a in answers} == {first["incident"]}
    assert all(a["unmapped"] == first["unmapped"] != {} for a in answers), (first, answers)
    assert AlertGroup.objects.filter(last_seen_at__gt=before, occurrences=4).count() == 1
    assert alert_events(AlertGroup.objects.get().incident) == []
    # A group written by the ORM afterwards sorts after the counted one: both wrote their time the
    # same way (on SQLite a time in another text form would sort by its form, not its moment).
    post(am, webhook(alert(), group="Later"))
    assert list(AlertGroup.objects.order_by("-last_seen_at").values_list("occurrences", flat=True)) == [1, 4]


def test_a_new_alert_joining_the_group_is_listed_and_noted_once(am):
    post(am, webhook(alert(instance="pay-1")))
    both = webhook(alert(instance="pay-1"), alert(instance="pay-2"))
    assert post(am, both).json()["changed"] is True
    assert post(am, both).json()["changed"] is False

    group = AlertGroup.objects.get()
    assert sorted(a["labels"]["instance"] for a in group.alerts) == ["pay-1", "pay-2"]
    assert alert_events(group.incident) == ["2 alerts firing, 1 new."]


def test_alerts_grouped_by_alertmanager_open_one_incident(am):
    response = post(am, webhook(*(alert(instance=f"pay-{n}") for n in range(5))))

    assert response.status_code == 201
    incident = Incident.objects.get()
    assert incident.summary == "HighErrorRate: 5 alert(s)"
    assert "5 alerts firing in this group." in incident.description
    assert len(AlertGroup.objects.get().alerts) == 5


def test_resolved_notes_the_clearing_and_leaves_the_decision_to_people_by_default(am):
    post(am, webhook(alert()))
    response = post(am, webhook(alert(status="resolved")))

    assert response.status_code == 200 and response.json()["status"] == "resolved"
    incident = Incident.objects.get()
    assert incident.state == State.NEW
    assert alert_events(incident) == ["The alert cleared: nothing is firing any more."]


def test_resolved_resolves_an_incident_in_progress_when_the_source_says_so(am, source, resolver, network_team):
    source.resolve_when_cleared = True
    source.default_team = network_team
    source.save()
    opened = post(am, webhook(alert())).json()
    incident = Incident.objects.get(reference=opened["incident"])
    services.transition(incident=incident, user=resolver, name="start", assignee=resolver)

    post(am, webhook(alert(status="resolved")))

    incident.refresh_from_db()
    assert incident.state == State.RESOLVED
    assert incident.resolution_code == "fixed" and "The alert cleared" in incident.resolution_notes


def test_an_alert_firing_again_reopens_the_incident_it_resolved(am, source, resolver, network_team):
    source.resolve_when_cleared = True
    source.default_team = network_team
    source.save()
    incident = Incident.objects.get(reference=post(am, webhook(alert())).json()["incident"])
    services.transition(incident=incident, user=resolver, name="start", assignee=resolver)
    post(am, webhook(alert(status="resolved")))

    post(am, webhook(alert()))

    incident.refresh_from_db()
    assert incident.state == State.IN_PROGRESS and incident.reopen_count == 1
    assert alert_events(incident)[-1] == "The alert fired again: 1 firing."


def test_a_repeat_after_the_incident_closed_opens_a_new_one_linked_to_the_old(am, source, resolver, network_team):
    source.default_team = network_team
    source.save()
    old = Incident.objects.get(reference=post(am, webhook(alert())).json()["incident"])
    services.transition(incident=old.pk, user=resolver, name="start", assignee=resolver)
    services.transition(incident=old.pk, user=resolver, name="resolve", resolution_code="fixed",
                        resolution_notes="Restarted the pool.")
    services.transition(incident=old.pk, user=resolver, name="close")

    response = post(am, webhook(alert()))

    assert response.status_code == 201
    new = Incident.objects.get(reference=response.json()["incident"])
    assert new != old
    assert f"This alert fired again after {old.reference} was closed." in new.description
    new_group = AlertGroup.objects.get(incident=new)
    assert new_group.previous.incident == old and new_group.open
    assert not AlertGroup.objects.get(incident=old).open


def test_a_clearing_with_nothing_open_opens_nothing(am):
    response = post(am, webhook(alert(status="resolved")))

    assert response.status_code == 200
    assert response.json()["incident"] is None and "Nothing is open" in response.json()["detail"]
    assert not Incident.objects.exists()


def test_the_source_can_deduplicate_on_its_own_labels(am, source):
    source.dedup_labels = ["alertname", "cluster"]
    source.save()
    first = post(am, webhook(alert(cluster="eu-1"), group="one")).json()
    same_cluster = post(am, webhook(alert(cluster="eu-1"), group="another")).json()
    other_cluster = post(am, webhook(alert(cluster="us-1"))).json()

    assert same_cluster["incident"] == first["incident"]
    assert other_cluster["incident"] != first["incident"]


# --- classification from labels --------------------------------------------------------------------
def test_label_rules_map_severity_service_team_and_category(am, source):
    from incidents.tests.factories import CategoryFactory

    payments = Service.objects.create(name="Payments")
    sre = TeamFactory(name="SRE", slug="sre")
    software = CategoryFactory(name="Software", default_team=sre)
    LabelRule.objects.create(source=source, label="severity", value="page", impact="high", urgency="medium")
    LabelRule.objects.create(source=source, label="service", value="pay-api", service=payments, category=software)
    LabelRule.objects.create(source=source, label="team", value="site-reliability", team=sre)

    body = post(am, webhook(alert(severity="page", service="pay-api", team="site-reliability"))).json()

    incident = Incident.objects.get(reference=body["incident"])
    assert (incident.impact, incident.urgency, incident.priority) == ("high", "medium", Priority.P2)
    assert incident.service == payments and incident.team == sre and incident.category == software
    assert body["unmapped"] == {}


def test_conventions_apply_without_rules_and_unknown_values_are_kept_not_refused(am, source):
    TeamFactory(name="Network", slug="network")
    body = post(am, webhook(alert(severity="sev-zero", service="Billing", team="network"))).json()

    incident = Incident.objects.get(reference=body["incident"])
    assert incident.team.slug == "network"
    assert (incident.impact, incident.urgency) == (source.default_impact, source.default_urgency)
    assert body["unmapped"] == {"severity": "sev-zero", "service": "Billing"}
    assert "severity=sev-zero" in incident.description and "service=Billing" in incident.description
    assert AlertGroup.objects.get().unmapped == body["unmapped"]


@pytest.mark.parametrize("severity, priority", [("critical", 1), ("error", 2), ("warning", 3), ("info", 4)])
def test_severity_conventions(am, severity, priority):
    body = post(am, webhook(alert(severity=severity))).json()
    assert Incident.objects.get(reference=body["incident"]).priority == priority


# --- what is refused, and how ----------------------------------------------------------------------
@pytest.mark.parametrize("broken, field", [
    (lambda p: p.pop("alerts"), "alerts"),
    (lambda p: p.update(alerts=[]), "alerts"),
    (lambda p: p.update(version="3"), "version"),
    (lambda p: p.update(alerts="firing"), "alerts"),
    (lambda p: p["alerts"][0].update(status="exploded"), "alerts"),
    (lambda p: p["alerts"][0].update(labels={"alertname": {"nested": 1}}), "alerts"),
    (lambda p: p["alerts"][0].update(startsAt="yesterday"), "alerts"),
    (lambda p: p.update(groupKey=None), "groupKey"),
    (lambda p: p.update(commonLabels=["a", "b"]), "commonLabels"),
])
def test_malformed_payloads_are_refused_with_what_is_wrong(am, broken, field):
    payload = webhook(alert())
    broken(payload)
    body = assert_error(post(am, payload), 400, "invalid")
    assert any(name == field or name.startswith(f"{field}.") for name in body["errors"]), body
    assert all(isinstance(sentences, list) and all(isinstance(s, str) for s in sentences)
               for sentences in body["errors"].values()), body
    assert not Incident.objects.exists()


def test_a_body_that_is_not_json_is_400_and_another_content_type_415(am):
    assert_error(am.post(URL, "{not json", content_type="application/json"), 400)
    assert_error(am.post(URL, "status=firing", content_type="application/x-www-form-urlencoded"), 415)
    assert not Incident.objects.exists()


def test_only_an_active_alertmanager_sources_token_may_post(source, db):
    assert_error(post(token_client(), webhook()), 401)
    staff = UserFactory(username="ivan", role=roles.INCIDENT_MANAGER)
    assert "not an alert source" in assert_error(post(token_client(staff), webhook()), 403)["detail"]
    generic = AlertSource.objects.create(name="Zabbix", kind=SourceKind.GENERIC,
                                         service_user=service_account("alerts", "Zabbix"))
    assert "own endpoint" in assert_error(post(token_client(generic.service_user), webhook()), 403)["detail"]
    source.active = False
    source.save()
    assert "inactive" in assert_error(post(token_client(source.service_user), webhook()), 403)["detail"]
    assert not Incident.objects.exists()


def test_a_revoked_intake_token_is_refused(source):
    from rest_framework.test import APIClient

    from tokens import services as tokens

    token, key = tokens.issue(user=source.service_user, name="am")
    tokens.revoke(token, by=source.service_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert_error(post(client, webhook()), 401)


def test_the_source_account_reads_its_incidents_as_their_reporter_and_nothing_more(am):
    reference = post(am, webhook(alert())).json()["incident"]
    response = am.get(f"/api/v1/incidents/{reference}/")
    assert response.status_code == 200 and response.json()["access"] == "reporter"
    assert am.get(reverse("admin:index")).status_code == 302  # no admin for a source's account


# --- the SOP applies as to any incident ---------------------------------------------------------------
def test_a_p1_alert_pages_on_call_through_the_existing_rules(am, source, network_team, django_capture_on_commit_callbacks):
    from datetime import date, time, timedelta

    import time_machine

    from incidents.models import Page, Rotation, RotationMember
    from incidents.sla.tests.sla_support import MONDAY_10, only_rules, sweep

    on_call = UserFactory(username="ann", role=roles.RESOLVER, team=network_team)
    rotation = Rotation.objects.create(team=network_team, time_zone="UTC", starts_on=date(2025, 6, 2),
                                       handoff_time=time(9), shift_hours=24, ack_minutes=10)
    RotationMember.objects.create(rotation=rotation, user=on_call, position=0)
    source.default_team = network_team
    source.save()
    only_rules("P1/P2 unassigned for 5 minutes: page the team's on-call")
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        incident = Incident.objects.get(reference=post(am, webhook(alert(severity="critical"))).json()["incident"])
        traveller.shift(timedelta(minutes=5))
        with django_capture_on_commit_callbacks(execute=True):
            assert sweep().pages == 1
    assert Page.objects.get(incident=incident).user == on_call
