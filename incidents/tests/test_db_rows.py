"""The set-based writers behind the SLA sweep, on whichever database the suite runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incidents.models import EventKind, Incident, IncidentEvent, Notification
from itsm import db

from .factories import make_incident

pytestmark = pytest.mark.django_db

AT = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)


def test_insert_rows_returns_the_keys_in_order_and_fills_defaults(reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    rows = [{"incident_id": incident.pk, "kind": EventKind.ESCALATION, "created_at": AT + timedelta(minutes=n),
             "message": f"event {n} — “quoted”, 'single', %s and %(name)s"} for n in range(1203)]
    ids = db.insert_rows(IncidentEvent, rows, returning=True)
    assert len(ids) == 1203 and len(set(ids)) == 1203
    stored = IncidentEvent.objects.in_bulk(ids)
    for n, pk in enumerate(ids):
        event = stored[pk]
        assert event.message == rows[n]["message"]
        assert event.created_at == AT + timedelta(minutes=n)
        # Left out: the model's defaults.
        assert (event.public, event.transition, event.actor_id, event.comment_id) == (False, "", None, None)


def test_insert_rows_stamps_auto_now_add_when_left_out(reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    before = datetime.now(UTC)
    [pk] = db.insert_rows(IncidentEvent, [{"incident_id": incident.pk, "kind": EventKind.ESCALATION}], returning=True)
    assert IncidentEvent.objects.get(pk=pk).created_at >= before - timedelta(seconds=1)


def test_insert_rows_refuses_a_row_missing_a_required_column(reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    with pytest.raises(ValueError, match="kind"):
        db.insert_rows(IncidentEvent, [{"incident_id": incident.pk}])
    assert not IncidentEvent.objects.filter(incident=incident, kind="").exists()


def test_insert_rows_without_returning_and_with_nothing_to_write(reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    [event_id] = db.insert_rows(IncidentEvent, [{"incident_id": incident.pk, "kind": EventKind.PAGE}], returning=True)
    assert db.insert_rows(Notification, [{"event_id": event_id, "recipient": "a@example.com"},
                                         {"event_id": event_id, "recipient": "b@example.com"}]) == []
    assert sorted(Notification.objects.filter(event_id=event_id).values_list("recipient", "channel")) == [
        ("a@example.com", "email"), ("b@example.com", "email")]
    assert db.insert_rows(Notification, []) == []


def test_update_rows_sets_each_rows_own_values_of_each_type(reporter, network_category):
    incidents = [make_incident(reporter=reporter, category=network_category) for _ in range(3)]
    db.update_rows(Incident, [
        {"pk": incidents[0].pk, "next_due_at": AT, "response_breached": True, "summary": "first"},
        {"pk": incidents[1].pk, "next_due_at": None, "response_breached": False, "summary": "second's"},
    ], ["next_due_at", "response_breached", "summary"])
    first, second, untouched = (Incident.objects.get(pk=i.pk) for i in incidents)
    assert (first.next_due_at, first.response_breached, first.summary) == (AT, True, "first")
    assert (second.next_due_at, second.response_breached, second.summary) == (None, False, "second's")
    assert (untouched.summary, untouched.version) == (incidents[2].summary, incidents[2].version)
    db.update_rows(Incident, [], ["summary"])  # nothing to do is fine
