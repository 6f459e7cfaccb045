"""Deadlines on the incident: set when it opens, moved by priority changes and by pauses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents import services
from incidents.models import SlaPolicy
from incidents.sla import clock

from .sla_support import MONDAY_10, claim, open_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def traveller():
    with time_machine.travel(MONDAY_10, tick=False) as t:
        yield t


def test_p1_deadlines_are_15_minutes_and_4_hours_around_the_clock(traveller, reporter, network_category):
    incident = open_incident(1, reporter=reporter, category=network_category)
    assert incident.respond_by == MONDAY_10 + timedelta(minutes=15)
    assert incident.resolve_by == MONDAY_10 + timedelta(hours=4)


def test_p3_friday_afternoon_deadlines_skip_the_weekend(reporter, network_category):
    friday_4pm = datetime(2025, 6, 6, 16, 0, tzinfo=UTC)
    with time_machine.travel(friday_4pm, tick=False):
        incident = open_incident(3, reporter=reporter, category=network_category)
    assert incident.respond_by == datetime(2025, 6, 9, 12, 0, tzinfo=UTC)  # 4 business hours: Monday 12:00
    assert incident.resolve_by == datetime(2025, 6, 11, 16, 0, tzinfo=UTC)  # 3 business days: Wednesday 16:00


def test_p4_responds_within_one_business_day_and_resolves_within_five(traveller, reporter, network_category):
    incident = open_incident(4, reporter=reporter, category=network_category)
    assert incident.respond_by == MONDAY_10 + timedelta(days=1)
    assert incident.resolve_by == MONDAY_10 + timedelta(days=7)  # five business days: next Monday


def test_raising_priority_at_triage_recomputes_deadlines_from_the_opening(
    traveller, reporter, agent, network_category
):
    incident = open_incident(4, reporter=reporter, category=network_category)
    traveller.shift(timedelta(minutes=5))
    incident = services.transition(incident=incident, user=agent, name="triage", impact="high", urgency="high")
    assert incident.priority == 1
    assert incident.respond_by == MONDAY_10 + timedelta(minutes=15)
    assert incident.resolve_by == MONDAY_10 + timedelta(hours=4)
    assert incident.sla_cycle == 1


def test_editing_impact_in_the_admin_recomputes_deadlines(traveller, reporter, agent, network_category):
    incident = open_incident(3, reporter=reporter, category=network_category)
    incident.impact, incident.urgency = "high", "medium"
    incident = services.incident_save_edits(incident=incident, user=agent, changed={"impact", "urgency"})
    incident.refresh_from_db()
    assert incident.priority == 2
    assert incident.respond_by == MONDAY_10 + timedelta(minutes=30)


def test_time_on_hold_extends_the_deadlines(traveller, reporter, resolver, network_category):
    incident = open_incident(1, reporter=reporter, category=network_category)
    incident = claim(incident, resolver)
    traveller.shift(timedelta(minutes=30))
    incident = services.transition(incident=incident, user=resolver, name="hold", hold_reason="Vendor call")
    assert incident.clock_paused_at == MONDAY_10 + timedelta(minutes=30)
    # The targets stand still while paused; only the stakeholder-update cadence keeps running.
    assert incident.next_due_at == incident.update_due_at
    traveller.shift(timedelta(hours=2))
    incident = services.transition(incident=incident, user=resolver, name="resume")
    assert incident.clock_paused_at is None
    assert incident.resolve_by == MONDAY_10 + timedelta(hours=6)


def test_pause_outside_business_hours_does_not_extend_a_business_hours_deadline(reporter, resolver,
                                                                                network_category):
    with time_machine.travel(datetime(2025, 6, 6, 16, 0, tzinfo=UTC), tick=False) as t:  # Friday 16:00
        incident = open_incident(3, reporter=reporter, category=network_category)
        incident = claim(incident, resolver)
        t.move_to(datetime(2025, 6, 6, 18, 0, tzinfo=UTC))
        incident = services.transition(incident=incident, user=resolver, name="hold", hold_reason="Weekend")
        t.move_to(datetime(2025, 6, 9, 9, 0, tzinfo=UTC))  # Monday 09:00
        incident = services.transition(incident=incident, user=resolver, name="resume")
    assert incident.resolve_by == datetime(2025, 6, 11, 16, 0, tzinfo=UTC)


def test_first_response_is_the_claim_and_a_late_one_is_a_breach(traveller, reporter, resolver, network_category):
    incident = open_incident(1, reporter=reporter, category=network_category)
    traveller.shift(timedelta(minutes=20))
    incident = claim(incident, resolver)
    assert incident.responded_at == MONDAY_10 + timedelta(minutes=20)
    assert incident.response_breached is True
    assert incident.resolution_breached is False


def test_first_public_reply_from_the_desk_is_the_first_response(traveller, reporter, agent, network_category):
    incident = open_incident(1, reporter=reporter, category=network_category)
    traveller.shift(timedelta(minutes=5))
    services.comment_add(incident=incident, author=agent, body="We are looking at it.", public=True)
    incident.refresh_from_db()
    assert incident.responded_at == MONDAY_10 + timedelta(minutes=5)
    assert incident.response_breached is False


def test_deadlines_follow_an_edited_policy_for_new_incidents(traveller, reporter, network_category):
    SlaPolicy.objects.filter(priority=1).update(response_minutes=10)
    incident = open_incident(1, reporter=reporter, category=network_category)
    assert incident.respond_by == MONDAY_10 + timedelta(minutes=10)


def test_time_left_is_negative_when_overdue(traveller, reporter, network_category):
    incident = open_incident(1, reporter=reporter, category=network_category)
    traveller.shift(timedelta(minutes=20))
    assert clock.time_left(incident) == ("response", timedelta(minutes=-5))


def test_next_due_is_the_earliest_pending_checkpoint(traveller, reporter, network_category):
    incident = open_incident(1, reporter=reporter, category=network_category)
    # P1/P2 unassigned for 5 minutes pages the on-call: the earliest of the seeded rules.
    assert incident.next_due_at == MONDAY_10 + timedelta(minutes=5)
