"""A resolved incident closes itself after the grace period, unless the reporter reopens it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from incidents import services, workflow
from incidents.models import EventKind
from incidents.workflow import State

from .sla_support import claim, open_incident, sweep, timeline

pytestmark = pytest.mark.django_db

TUESDAY_11 = datetime(2025, 6, 3, 11, 0, tzinfo=UTC)


def resolved(reporter, resolver, category, priority=3):
    incident = open_incident(priority, reporter=reporter, category=category)
    incident = claim(incident, resolver)
    return services.transition(incident=incident, user=resolver, name="resolve", resolution_code="fixed",
                               resolution_notes="Replaced the switch port.")


def test_resolved_incident_closes_after_3_business_days_without_a_reply(reporter, resolver, network_category):
    with time_machine.travel(TUESDAY_11, tick=False) as traveller:
        incident = resolved(reporter, resolver, network_category)
        assert incident.auto_close_at == datetime(2025, 6, 6, 11, 0, tzinfo=UTC)  # Friday 11:00
        traveller.move_to(datetime(2025, 6, 6, 10, 59, tzinfo=UTC))
        sweep()
        incident.refresh_from_db()
        assert incident.state == State.RESOLVED
        traveller.move_to(datetime(2025, 6, 6, 11, 0, tzinfo=UTC))
        assert sweep().auto_closed == 1
    incident.refresh_from_db()
    assert incident.state == State.CLOSED
    assert incident.next_due_at is None
    last = incident.history.order_by("history_id").last()
    assert last.history_user.username == services.SYSTEM_USERNAME
    assert last.history_change_reason.startswith("Close: No reply within 3 business days")
    [note] = timeline(incident, EventKind.AUTO_CLOSE)
    assert note.public and "Closed automatically" in note.message


def test_reporter_reopening_stops_the_auto_close(reporter, resolver, network_category):
    with time_machine.travel(TUESDAY_11, tick=False) as traveller:
        incident = resolved(reporter, resolver, network_category)
        traveller.shift(timedelta(days=1))
        incident = services.transition(incident=incident, user=reporter, name="reopen", reason="Still down")
        assert incident.auto_close_at is None
        traveller.shift(timedelta(days=7))
        sweep()
    incident.refresh_from_db()
    assert incident.state == State.IN_PROGRESS


def test_resolution_email_tells_the_reporter_when_it_will_close(
    reporter, resolver, network_category, django_capture_on_commit_callbacks
):
    with time_machine.travel(TUESDAY_11, tick=False):
        incident = open_incident(3, reporter=reporter, category=network_category)
        incident = claim(incident, resolver)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.transition(incident=incident, user=resolver, name="resolve", resolution_code="fixed",
                                resolution_notes="Replaced the switch port.")
    [message] = [m for m in mail.outbox if m.to == [reporter.email]]
    assert "it will close automatically on Friday 6 June 2025, 11:00" in message.body


def test_resolution_clock_stops_while_resolved_and_restarts_on_reopen(reporter, resolver, network_category):
    with time_machine.travel(TUESDAY_11, tick=False) as traveller:
        incident = resolved(reporter, resolver, network_category)
        before = incident.resolve_by
        traveller.shift(timedelta(hours=2))  # two business hours resolved
        incident = services.transition(incident=incident, user=reporter, name="reopen", reason="Still down")
    assert incident.resolve_by == before + timedelta(hours=2)


def test_a_close_gate_stops_the_auto_close_and_says_why(reporter, resolver, network_category):
    def needs_review(incident):
        return "A post-incident review must be published first."

    workflow.register_close_gate(needs_review)
    try:
        with time_machine.travel(TUESDAY_11, tick=False) as traveller:
            incident = resolved(reporter, resolver, network_category)
            traveller.shift(timedelta(days=4))
            assert sweep().auto_closed == 0
            sweep()
    finally:
        workflow.CLOSE_GATES.remove(needs_review)
    incident.refresh_from_db()
    assert incident.state == State.RESOLVED
    assert incident.auto_close_at is None
    [note] = timeline(incident, EventKind.AUTO_CLOSE)
    assert note.message == "Not closed automatically: A post-incident review must be published first."


def test_the_system_acts_as_a_dedicated_user_that_cannot_log_in(reporter, resolver, network_category, client):
    incident = resolved(reporter, resolver, network_category)
    incident = services.transition(incident=incident, user=None, name="close", reason="Confirmed by phone")
    assert incident.state == State.CLOSED
    system = incident.history.order_by("history_id").last().history_user
    assert system.username == services.SYSTEM_USERNAME
    assert not system.is_active and not system.has_usable_password()
    assert services.system_user() == system
    response = client.post(reverse("login"), {"username": services.SYSTEM_USERNAME, "password": ""})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
