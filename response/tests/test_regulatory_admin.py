"""Regulatory clocks in the admin: the panel on the incident's page (shown like an SLA clock, with
the forms that apply, notify and decide not notifiable), and the list of running clocks across
incidents, soonest first, as far as the reader sees the incidents."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import roles
from incidents.tests.factories import UserFactory, make_incident
from response.models import ClockState, RegulatoryClock
from response.regulatory import services

from .regulatory_support import *  # noqa: F403  (its fixtures)
from .regulatory_support import MONDAY_10, regulatory_events

pytestmark = pytest.mark.django_db
CLOCKS = reverse("admin:response_regulatoryclock_changelist")


def incident_page(incident) -> str:
    return reverse("admin:incidents_incident_change", args=[incident.pk])


def test_the_incident_page_shows_each_clock_like_an_sla_clock(client, clock, breach, manager, gdpr):
    services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10 - timedelta(hours=18))
    client.force_login(manager)
    html = client.get(incident_page(breach)).content.decode()
    assert 'id="regulatory-clocks"' in html
    for expected in ("GDPR", "2 d 6 h left", "25%", "Running", "Record the GDPR notice", "Not notifiable",
                     "Apply a regulatory clock", "HIPAA"):
        assert expected in html, expected
    clock.shift(timedelta(hours=60))
    html = client.get(incident_page(breach)).content.decode()
    assert "overdue by 6 h 0 min" in html and "108%" in html


def test_applying_a_clock_from_the_panel_starts_it(client, clock, breach, manager, gdpr):
    client.force_login(manager)
    response = client.post(reverse("admin:response_regulatoryclock_apply", args=[breach.pk]),
                           {"regulation": gdpr.pk, "aware_at": "2025-06-02T08:30"})
    assert response.status_code == 302 and response.url.endswith("#regulatory-clocks")
    applied = RegulatoryClock.objects.get(incident=breach)
    assert applied.due_at == MONDAY_10 - timedelta(minutes=90) + timedelta(hours=72)


def test_a_refused_clock_shows_the_reason_and_keeps_what_was_typed(client, clock, breach, manager, gdpr):
    client.force_login(manager)
    response = client.post(reverse("admin:response_regulatoryclock_apply", args=[breach.pk]),
                           {"regulation": gdpr.pk, "aware_at": "2025-06-03T09:15"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "is in the future" in html and 'value="2025-06-03T09:15"' in html
    assert not RegulatoryClock.objects.exists()


def test_recording_the_notice_from_the_panel_stops_the_clock(client, clock, breach, manager, gdpr):
    applied = services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    client.force_login(manager)
    url = reverse("admin:response_regulatoryclock_notice", args=[applied.pk])
    # Missing the reference: told so, the recipient typed is still there.
    response = client.post(url, {"notified_to": "ICO breach team", "notified_at": "2025-06-02T10:00", "reference": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert 'value="ICO breach team"' in response.content.decode()
    response = client.post(url, {"notified_to": "ICO breach team", "notified_at": "2025-06-02T10:00",
                                 "reference": "ICO-7781"})
    assert response.status_code == 302
    applied.refresh_from_db()
    assert applied.state == ClockState.NOTIFIED and applied.notice_reference == "ICO-7781"
    html = client.get(incident_page(breach)).content.decode()
    assert "Notice sent" in html and "ICO-7781" in html and "Record the GDPR notice" not in html
    # A second notice on the stopped clock is refused in words.
    response = client.post(url, {"notified_to": "ICO", "notified_at": "2025-06-02T10:00", "reference": "again"})
    assert response.status_code == 200 and "is already stopped" in response.content.decode()


def test_not_notifiable_from_the_panel_needs_a_reason(client, clock, breach, manager, gdpr):
    applied = services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    client.force_login(manager)
    url = reverse("admin:response_regulatoryclock_not_notifiable", args=[applied.pk])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert client.post(url, {"reason": "Encrypted laptop, key not exposed."}).status_code == 302
    applied.refresh_from_db()
    assert applied.state == ClockState.NOT_NOTIFIABLE
    assert "Encrypted laptop" in regulatory_events(breach)[-1]


def test_who_cannot_see_the_incident_gets_no_panel_and_no_form(client, clock, breach, manager, gdpr, other_resolver):
    applied = services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    client.force_login(other_resolver)
    assert client.get(incident_page(breach)).status_code in (302, 403, 404)
    url = reverse("admin:response_regulatoryclock_not_notifiable", args=[applied.pk])
    assert client.post(url, {"reason": "not mine"}).status_code == 404
    applied.refresh_from_db()
    assert applied.running


def test_the_list_shows_running_clocks_soonest_first(client, clock, breach, manager, gdpr, hipaa, reporter,
                                                     network_category):
    other = make_incident(reporter=reporter, category=network_category, summary="Stolen laptop")
    services.apply_clock(incident=breach, user=manager, regulation=hipaa, aware_at=MONDAY_10)
    services.apply_clock(incident=other, user=manager, regulation=gdpr, aware_at=MONDAY_10 - timedelta(hours=1))
    stopped = services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    services.decide_not_notifiable(clock=stopped, user=manager, reason="No personal data")
    client.force_login(manager)
    html = client.get(CLOCKS).content.decode()
    assert html.index("Stolen laptop") < html.index("Customer database exposed")
    assert html.count('class="field-incident_link"') == 2  # the stopped one is under "Stopped"
    assert client.get(CLOCKS, {"status": "stopped"}).content.decode().count('class="field-incident_link"') == 1


def test_the_list_shows_only_clocks_on_incidents_the_reader_sees(client, clock, breach, manager, gdpr, reporter,
                                                                 network_category, network_team):
    ordinary = make_incident(reporter=reporter, category=network_category, summary="Mail sent to wrong customer")
    services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    services.apply_clock(incident=ordinary, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    network_resolver = UserFactory(username="nina", role=roles.RESOLVER, team=network_team)
    client.force_login(network_resolver)
    html = client.get(CLOCKS).content.decode()
    assert "Mail sent to wrong customer" in html
    assert "Customer database exposed" not in html  # a security incident of another team


def test_the_list_costs_the_same_queries_for_one_clock_as_for_fifty(client, clock, manager, gdpr, reporter,
                                                                    network_category):
    client.force_login(manager)

    def add(count: int) -> None:
        for n in range(count):
            incident = make_incident(reporter=reporter, category=network_category, summary=f"Lost USB stick {n}")
            services.apply_clock(incident=incident, user=manager, regulation=gdpr, aware_at=MONDAY_10)

    add(1)
    with CaptureQueriesContext(connection) as one:
        assert client.get(CLOCKS).status_code == 200
    add(49)
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(CLOCKS)
    assert response.content.decode().count('class="field-incident_link"') == 50
    assert len(fifty) == len(one)


def test_incident_managers_keep_the_catalogue(client, manager):
    client.force_login(manager)
    response = client.post(reverse("admin:response_regulation_add"),
                           {"name": "NIS2 early warning", "code": "nis2", "window": "24:00:00", "authority": "CSIRT",
                            "active": "on"})
    assert response.status_code == 302
    response = client.post(reverse("admin:response_regulation_add"),
                           {"name": "Zero", "code": "zero", "window": "00:00:00", "active": "on"})
    assert response.status_code == 200 and "The window must be longer than zero." in response.content.decode()
