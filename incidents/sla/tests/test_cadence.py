"""Stakeholder updates: P1 every 30 minutes, P2 every 60; a missed one goes to the incident manager."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from incidents import services
from incidents.models import EventKind, SlaPolicy

from .sla_support import MONDAY_10, claim, fired, only_rules, open_incident, sweep, timeline

pytestmark = pytest.mark.django_db

OVERDUE_RULE = "P1/P2 stakeholder update overdue: incident manager"


@pytest.fixture
def traveller():
    only_rules(OVERDUE_RULE)
    with time_machine.travel(MONDAY_10, tick=False) as t:
        yield t


def test_p1_update_due_every_30_minutes_and_overdue_escalates_to_incident_manager(
    traveller, reporter, resolver, network_category, manager
):
    incident = claim(open_incident(1, reporter=reporter, category=network_category), resolver)
    assert incident.update_due_at == MONDAY_10 + timedelta(minutes=30)
    traveller.shift(timedelta(minutes=29))
    sweep()
    assert fired(incident) == []
    traveller.shift(timedelta(minutes=1))
    sweep()
    assert fired(incident) == [OVERDUE_RULE]
    [event] = timeline(incident, EventKind.ESCALATION)
    assert "stakeholder update was due" in event.message
    # Once per missed update, not once a minute.
    traveller.shift(timedelta(minutes=10))
    sweep()
    assert fired(incident) == [OVERDUE_RULE]


def test_a_public_reply_is_the_update_and_restarts_the_cadence(traveller, reporter, resolver, network_category):
    incident = claim(open_incident(1, reporter=reporter, category=network_category), resolver)
    traveller.shift(timedelta(minutes=25))
    services.comment_add(incident=incident, author=resolver, body="Vendor engaged; next update at 11:00.",
                         public=True)
    incident.refresh_from_db()
    assert incident.last_update_at == MONDAY_10 + timedelta(minutes=25)
    assert incident.update_due_at == MONDAY_10 + timedelta(minutes=55)
    traveller.shift(timedelta(minutes=10))
    sweep()
    assert fired(incident) == []


def test_an_internal_work_note_is_not_a_stakeholder_update(traveller, reporter, resolver, network_category):
    incident = claim(open_incident(1, reporter=reporter, category=network_category), resolver)
    traveller.shift(timedelta(minutes=25))
    services.comment_add(incident=incident, author=resolver, body="Rebooting the core switch.", public=False)
    traveller.shift(timedelta(minutes=5))
    sweep()
    assert fired(incident) == [OVERDUE_RULE]


def test_p2_cadence_is_60_minutes_and_configurable(traveller, reporter, network_category):
    incident = open_incident(2, reporter=reporter, category=network_category)
    assert incident.update_due_at == MONDAY_10 + timedelta(minutes=60)
    SlaPolicy.objects.filter(priority=2).update(update_minutes=45)
    incident = open_incident(2, reporter=reporter, category=network_category)
    assert incident.update_due_at == MONDAY_10 + timedelta(minutes=45)


def test_p3_has_no_update_cadence(traveller, reporter, network_category):
    incident = open_incident(3, reporter=reporter, category=network_category)
    assert incident.update_due_at is None


def test_resolved_incident_needs_no_more_updates(traveller, reporter, resolver, network_category):
    incident = claim(open_incident(1, reporter=reporter, category=network_category), resolver)
    incident = services.transition(incident=incident, user=resolver, name="resolve", resolution_code="fixed",
                                   resolution_notes="Failed over to the standby link.")
    assert incident.update_due_at is None
    traveller.shift(timedelta(hours=2))
    sweep()
    assert fired(incident) == []
