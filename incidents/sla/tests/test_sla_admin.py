"""The SLA clock in the admin: time left, breached / at-risk filters, the clock panel, on-call now."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import time_machine
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import roles, services
from incidents.admin import sla as admin_sla
from incidents.models import Escalation, EscalationRule, Incident, Rotation, RotationMember, Team
from incidents.tests.factories import TeamFactory, UserFactory

from .sla_support import MONDAY_10, claim, open_incident, sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def traveller():
    with time_machine.travel(MONDAY_10, tick=False) as t:
        yield t


def filtered(value: str, rf, superuser) -> list[Incident]:
    request = rf.get("/", {"sla": value})
    request.user = superuser
    status = admin_sla.SlaStatusFilter(request, {"sla": [value]}, Incident, admin.site._registry.get(Incident))
    return list(status.queryset(request, Incident.objects.order_by("pk")))


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def test_time_left_is_green_then_amber_in_the_last_quarter_then_red_when_overdue(
    traveller, reporter, network_category
):
    incident = open_incident(1, reporter=reporter, category=network_category)
    assert admin_sla.sla_status(incident) == ("on_track", "Response in 15m")
    assert "sla-on_track" in admin_sla.sla_time_left(incident)
    traveller.shift(timedelta(minutes=12))
    assert admin_sla.sla_status(incident) == ("at_risk", "Response in 3m")
    traveller.shift(timedelta(minutes=5))
    assert admin_sla.sla_status(incident) == ("overdue", "Response overdue by 2m")
    assert "sla-overdue" in admin_sla.sla_time_left(incident)


def test_on_hold_shows_the_clock_paused(traveller, reporter, resolver, network_category):
    incident = claim(open_incident(1, reporter=reporter, category=network_category), resolver)
    traveller.shift(timedelta(hours=1))
    incident = services.transition(incident=incident, user=resolver, name="hold", hold_reason="Vendor")
    traveller.shift(timedelta(hours=5))
    assert admin_sla.sla_status(incident) == ("paused", "Paused – resolution 3h 00m left")


def test_filters_breached_and_at_risk(traveller, reporter, network_category, rf, superuser):
    EscalationRule.objects.update(active=False)
    p1 = open_incident(1, reporter=reporter, category=network_category)
    p3 = open_incident(3, reporter=reporter, category=network_category)
    traveller.shift(timedelta(minutes=13))
    assert filtered("at_risk", rf, superuser) == [p1]
    assert filtered("breached", rf, superuser) == []
    traveller.shift(timedelta(minutes=3))
    assert filtered("breached", rf, superuser) == [p1]  # before the sweep has marked it, too
    sweep()
    assert filtered("breached", rf, superuser) == [p1]
    assert filtered("at_risk", rf, superuser) == []
    traveller.shift(timedelta(hours=3))
    assert filtered("at_risk", rf, superuser) == [p3]


def test_clock_panel_shows_targets_and_pauses(traveller, reporter, resolver, network_category):
    incident = claim(open_incident(3, reporter=reporter, category=network_category), resolver)
    traveller.shift(timedelta(minutes=30))
    incident = services.transition(incident=incident, user=resolver, name="hold", hold_reason="Vendor")
    traveller.shift(timedelta(minutes=30))
    incident = services.transition(incident=incident, user=resolver, name="resume")
    html = admin_sla.sla_clock(incident)
    assert "4 business hours: due Mon 2 Jun 2025 14:00 UTC, met Mon 2 Jun 2025 10:00 UTC" in html
    assert "3 business days" in html
    assert "Mon 2 Jun 2025 10:30 UTC → Mon 2 Jun 2025 11:00 UTC" in html


def rotation_for(team: Team, *people) -> Rotation:
    rotation = Rotation.objects.create(team=team, starts_on=date(2025, 6, 2), handoff_time=time(9), shift_hours=24)
    for n, person in enumerate(people):
        RotationMember.objects.create(rotation=rotation, user=person, position=n)
    return rotation


def changelist_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_rotation_list_shows_who_is_on_call_now_in_a_fixed_number_of_queries(traveller, client, superuser):
    client.force_login(superuser)
    person = UserFactory(username="oncall1", first_name="Olive", last_name="Call", role=roles.RESOLVER)
    rotation_for(TeamFactory(name="Team A"), person)
    one = changelist_queries(client, "/admin/incidents/rotation/")
    for n in range(20):
        rotation_for(TeamFactory(name=f"Team {n}"), UserFactory(username=f"p{n}", role=roles.RESOLVER))
    many = changelist_queries(client, "/admin/incidents/rotation/")
    assert one == many
    assert "Olive Call" in client.get("/admin/incidents/rotation/").content.decode()


def test_escalation_list_takes_the_same_queries_for_1_row_and_50(traveller, client, superuser, reporter,
                                                                 network_category):
    client.force_login(superuser)
    rule = EscalationRule.objects.first()
    incidents = [open_incident(3, reporter=reporter, category=network_category) for _ in range(2)]
    Escalation.objects.create(incident=incidents[0], rule=rule, key="a", fired_at=MONDAY_10, due_at=MONDAY_10)
    one = changelist_queries(client, "/admin/incidents/escalation/")
    Escalation.objects.bulk_create(
        Escalation(incident=incidents[n % 2], rule=rule, key=f"k{n}", fired_at=MONDAY_10, due_at=MONDAY_10)
        for n in range(49)
    )
    assert changelist_queries(client, "/admin/incidents/escalation/") == one


def test_config_pages_open(traveller, client, superuser):
    client.force_login(superuser)
    for model in ("businesscalendar", "slapolicy", "escalationrule", "escalationpath", "page"):
        assert client.get(f"/admin/incidents/{model}/").status_code == 200
    assert "4 business hours" in client.get("/admin/incidents/slapolicy/").content.decode()


def test_sla_column_and_filter_need_no_query_per_row(traveller, reporter, network_category, rf, superuser):
    for priority in (1, 2, 3, 4) * 3:
        open_incident(priority, reporter=reporter, category=network_category)
    traveller.shift(timedelta(hours=2))
    rows = list(Incident.objects.all())
    with CaptureQueriesContext(connection) as queries:
        cells = [admin_sla.sla_time_left(incident) for incident in rows]
    assert len(queries) == 0
    assert sum("overdue" in cell for cell in cells) == 6  # the P1s and P2s are past their response
    with CaptureQueriesContext(connection) as queries:
        assert len(filtered("breached", rf, superuser)) == 6
    assert len(queries) == 1


def test_incident_list_filters_breached_incidents(client, agent, time_machine):
    from django.urls import reverse

    from incidents.tests.factories import CategoryFactory, make_incident

    network = TeamFactory(name="Network", slug="network")
    category = CategoryFactory(name="Network", default_team=network)
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    late = make_incident(category=category, impact="high", urgency="high", summary="Core switch down")
    time_machine.move_to("2026-03-02 14:00Z", tick=False)  # past the P1 four-hour resolution target
    fresh = make_incident(category=category, impact="high", urgency="high", summary="Second outage")
    client.force_login(agent)
    page = client.get(reverse("admin:incidents_incident_changelist"), {"sla": "breached"}).content.decode()
    assert late.reference in page and fresh.reference not in page


def test_filters_response_and_resolution_breaches_apart(traveller, reporter, resolver, network_category, rf,
                                                         superuser):
    EscalationRule.objects.update(active=False)
    unanswered = open_incident(1, reporter=reporter, category=network_category)
    answered = claim(open_incident(1, reporter=reporter, category=network_category), resolver)
    traveller.shift(timedelta(minutes=20))  # past the P1 response target (15 min): only the first
    assert filtered("response_breached", rf, superuser) == [unanswered]
    assert filtered("resolution_breached", rf, superuser) == []
    traveller.shift(timedelta(hours=4))  # past the P1 resolution target (4 h): both
    assert filtered("resolution_breached", rf, superuser) == [unanswered, answered]
    assert filtered("response_breached", rf, superuser) == [unanswered]
    sweep()  # marked by the sweep: the same answer
    assert filtered("response_breached", rf, superuser) == [unanswered]
    assert filtered("breached", rf, superuser) == [unanswered, answered]
