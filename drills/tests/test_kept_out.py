"""Drills are rehearsal: never on the status page (no update shown, no service degraded), never
heard by external stakeholders, and left out of the staff home's performance figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from comms import services as comms
from comms import stakeholders
from comms.models import Audience, StatusComponent
from comms.status import invalidation
from comms.status import selectors as status
from dashboard import selectors as dashboard
from incidents.models import Incident, Priority, Service
from incidents.tests.factories import make_incident
from incidents.workflow import State

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_snapshot():
    invalidation._bump()
    yield
    invalidation._bump()


def _major(service, *, exercise: bool, reporter, summary: str) -> Incident:
    incident = make_incident(summary=summary, reporter=reporter, exercise=exercise)
    Incident.objects.filter(pk=incident.pk).update(is_major=True, priority=Priority.P1, service=service,
                                                   state=State.IN_PROGRESS)
    return Incident.objects.get(pk=incident.pk)


def test_a_major_drill_is_never_on_the_status_page_nor_degrades_its_service(reporter, manager):
    vpn, mail = Service.objects.create(name="VPN"), Service.objects.create(name="Mail")
    for service in (vpn, mail):
        StatusComponent.objects.create(service=service)
    drill = _major(vpn, exercise=True, reporter=reporter, summary="Drill: VPN concentrator lost")
    real = _major(mail, exercise=False, reporter=reporter, summary="Mail delivery stopped")
    comms.post_update(incident=real, author=manager, body="Mail is being restored.", to_status_page=True)

    snapshot = status.build()

    assert [i.reference for i in snapshot.incidents] == [real.reference]
    assert {c.name: c.status for c in snapshot.components} == {"VPN": "operational", "Mail": "major_outage"}
    assert drill.pk not in snapshot.incident_ids
    assert not comms.followable(drill)


def test_a_drills_update_cannot_go_to_the_status_page_or_the_external_audience(reporter, manager):
    drill = make_incident(reporter=reporter, exercise=True)
    with pytest.raises(ValidationError) as refused:
        comms.post_update(incident=drill, author=manager, body="Restored.", to_status_page=True, to_external=True)
    assert set(refused.value.message_dict) == {"to_status_page", "to_external"}
    assert "is a drill" in refused.value.message_dict["to_external"][0]
    with pytest.raises(ValidationError, match="no external audience"):
        comms.add_stakeholder(incident=drill, by=manager, audience=Audience.EXTERNAL, email="customer@example.org")


def test_a_drills_audience_is_internal_only_even_its_reporter_hears_nothing(reporter, manager):
    drill = make_incident(reporter=reporter, exercise=True, impact="high", urgency="high")
    real = make_incident(reporter=reporter, impact="high", urgency="high")
    comms.add_stakeholder(incident=drill, by=manager, audience=Audience.INTERNAL, user=manager)

    assert {r.audience for r in stakeholders.audience(drill)} == {Audience.INTERNAL}
    assert reporter.email not in {r.address for r in stakeholders.audience(drill)}
    assert reporter.email in {r.address for r in stakeholders.audience(real)}


def test_the_staff_homes_mttr_sla_trend_and_breaches_leave_drills_out(reporter, manager, network_category):
    now = timezone.now()
    real = make_incident(reporter=reporter, category=network_category)
    drill = make_incident(reporter=reporter, category=network_category, exercise=True)
    for incident, hours in ((real, 2), (drill, 30)):
        Incident.objects.filter(pk=incident.pk).update(
            state=State.RESOLVED, opened_at=now - timedelta(hours=hours + 1), responded_at=now - timedelta(hours=hours),
            resolved_at=now - timedelta(minutes=5), resolve_by=now - timedelta(hours=hours),
            resolution_breached=True)

    rows = dashboard.response_and_resolution(manager, starts=dashboard.window_starts(now))
    overall = rows[-1]
    assert overall.mttr[7].count == 1 and overall.mtta[7].count == 1
    assert overall.mttr[7].value == timedelta(hours=3) - timedelta(minutes=5)
    assert overall.sla_met[7].count == 1
    make_incident(reporter=reporter, category=network_category)
    make_incident(reporter=reporter, category=network_category, exercise=True)
    _, series = dashboard.open_by_priority(manager, now=now + timedelta(seconds=1), days=2)
    assert sum(line[-1] for line in series.values()) == 1  # open now: the real one, not the drill
    breaches = dashboard.breaches_by_team(manager, since=now - timedelta(days=2), now=now)
    assert [b.breached for b in breaches] == [1]
