"""The set-based writers behind the SLA sweep, on whichever database the suite runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import bulk as db
from incidents.models import EventKind, Incident, IncidentEvent, Notification
from incidents.tests.factories import make_incident

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


def test_a_duplicate_row_raises_djangos_integrity_error_and_leaves_the_transaction_usable(
    reporter, network_category
):
    from django.db import IntegrityError, transaction

    from incidents.models import Escalation

    incident = make_incident(reporter=reporter, category=network_category)
    row = {"incident_id": incident.pk, "rule_id": None, "key": "breach-response:sla0", "fired_at": AT, "due_at": AT,
           "event_id": None}
    db.insert_rows(Escalation, [row])
    with pytest.raises(IntegrityError), transaction.atomic():
        db.insert_rows(Escalation, [row], returning=True)
    assert Escalation.objects.filter(incident=incident).count() == 1


def test_every_statement_shows_in_the_query_log(reporter, network_category, django_assert_num_queries):
    incident = make_incident(reporter=reporter, category=network_category)
    rows = [{"incident_id": incident.pk, "kind": EventKind.ESCALATION, "created_at": AT}] * 3
    # PostgreSQL: the ids from the sequence, then one COPY. SQLite: one INSERT ... RETURNING.
    from django.db import connection

    with django_assert_num_queries(2 if connection.vendor == "postgresql" else 1):
        db.insert_rows(IncidentEvent, rows, returning=True)


def test_update_rows_never_cuts_a_value_too_long_for_its_column(reporter, network_category):
    from django.db import DataError, transaction

    incident = make_incident(reporter=reporter, category=network_category)
    long_summary = "x" * 250  # the column holds 200
    try:
        with transaction.atomic():
            db.update_rows(Incident, [{"pk": incident.pk, "summary": long_summary}], ["summary"])
    except DataError:
        incident.refresh_from_db()
        assert len(incident.summary) < 250  # PostgreSQL refused it: the row is as it was
    else:
        assert Incident.objects.get(pk=incident.pk).summary == long_summary  # SQLite keeps any length


def test_read_rows_gives_each_row_as_values_does_with_every_type_converted(reporter, network_category):
    # An incident (dates, booleans, keys, nulls), its history (simple-history's own columns), an
    # alert group (JSON): what the audit chain hashes at commit must be what `verify` reads back.
    from intake.accounts import service_account
    from intake.models import AlertGroup, AlertSource, SourceKind

    incident = make_incident(reporter=reporter, category=network_category)
    source = AlertSource.objects.create(name="P", kind=SourceKind.ALERTMANAGER, service_user=service_account("p", "P"))
    group = AlertGroup.objects.create(
        source=source, dedup_key="k", key_digest="d" * 64, incident=incident, first_seen_at=incident.opened_at,
        last_seen_at=incident.opened_at, alerts=[{"fingerprint": "f", "labels": {"a": "ü"}}], labels={"n": "1"},
    )
    history = list(Incident.history.filter(id=incident.pk).values_list("history_id", flat=True))
    for model, pks in ((Incident, [incident.pk]), (Incident.history.model, history), (AlertGroup, [group.pk])):
        expected = {row[model._meta.pk.attname]: row for row in model._base_manager.filter(pk__in=pks).values()}
        got = {row[model._meta.pk.attname]: row for row in db.read_rows(model, [*pks, 10**9])}
        assert got == expected
        assert {type(v) for v in got[pks[0]].values()} == {type(v) for v in expected[pks[0]].values()}


def test_read_rows_of_nothing_runs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert db.read_rows(Incident, []) == []
