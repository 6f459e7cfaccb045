"""The audit chain: every event and history row of an incident joins it in its own transaction, and
`verify_audit` names the first row that no longer says what it said."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from compliance.audit import record_access, verify
from compliance.audit.chain import pending
from compliance.models import AuditEntry
from incidents import events, services
from incidents.models import Incident, IncidentEvent, Team
from incidents.tests.factories import make_incident

from . import audit_world

reporter, manager, network_category = audit_world.reporter, audit_world.manager, audit_world.network_category

pytestmark = pytest.mark.django_db


def history_table() -> str:
    return Incident.history.model._meta.db_table


def test_opening_an_incident_chains_its_history_row_and_its_event(reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    entries = list(AuditEntry.objects.filter(incident=incident))
    tables = {e.table for e in entries}
    assert history_table() in tables
    assert IncidentEvent._meta.db_table in tables
    assert [e.incident_position for e in entries] == list(range(1, len(entries) + 1))
    assert verify().ok


def test_a_clean_chain_passes_through_the_command(reporter, network_category, capsys):
    make_incident(reporter=reporter, category=network_category)
    make_incident(reporter=reporter, category=network_category)
    call_command("verify_audit")
    assert "holds" in capsys.readouterr().out


def test_an_incident_history_row_edited_with_raw_sql_is_found_and_named(reporter, network_category, manager):
    first = make_incident(reporter=reporter, category=network_category)
    incident = make_incident(reporter=reporter, category=network_category)
    services.incident_assign(incident=incident.pk, user=manager, assignee=manager)
    row = Incident.history.filter(id=incident.pk).order_by("history_id").first()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {history_table()} SET summary = %s WHERE history_id = %s",
                       ["nothing happened here", row.history_id])

    report = verify()
    assert not report.ok
    assert report.broken.table == history_table()
    assert report.broken.row_pk == row.history_id
    assert report.broken.incident_id == incident.pk
    assert "changed since it was recorded" in report.broken.problem
    with pytest.raises(CommandError, match=rf"{history_table()} #{row.history_id}.*changed since it was recorded"):
        call_command("verify_audit")
    with pytest.raises(CommandError, match="changed since it was recorded"):
        call_command("verify_audit", incident=incident.reference)
    call_command("verify_audit", incident=first.reference)  # the other incident's chain still holds


def test_an_event_message_edited_afterwards_is_found(reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    event = IncidentEvent.objects.filter(incident=incident).first()
    IncidentEvent.objects.filter(pk=event.pk).update(message="Rewritten later")
    broken = verify().broken
    assert (broken.table, broken.row_pk) == (IncidentEvent._meta.db_table, event.pk)
    assert "changed since it was recorded" in broken.problem


def test_a_deleted_event_is_reported_missing(reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    event = IncidentEvent.objects.filter(incident=incident).first()
    IncidentEvent.objects.filter(pk=event.pk).delete()  # with the notifications that point at it
    broken = verify().broken
    assert broken.row_pk == event.pk
    assert "missing" in broken.problem


def test_a_deleted_audit_entry_breaks_the_chain_at_the_next_entry(reporter, network_category):
    make_incident(reporter=reporter, category=network_category)
    make_incident(reporter=reporter, category=network_category)
    gone = AuditEntry.objects.order_by("position")[1]
    AuditEntry.objects.filter(pk=gone.pk).delete()
    broken = verify().broken
    assert broken.position == gone.position + 1
    assert "missing before it" in broken.problem


def test_an_edited_audit_entry_breaks_the_chain_hash(reporter, network_category):
    make_incident(reporter=reporter, category=network_category)
    entry = AuditEntry.objects.order_by("position").first()
    AuditEntry.objects.filter(pk=entry.pk).update(content_hash="0" * 64)
    broken = verify().broken
    assert broken.position == entry.position
    assert "chain hash mismatch" in broken.problem


def test_an_entry_moved_to_another_incident_breaks_both_hashes(reporter, network_category):
    one = make_incident(reporter=reporter, category=network_category)
    make_incident(reporter=reporter, category=network_category)
    entry = AuditEntry.objects.filter(incident=one).order_by("position").last()
    AuditEntry.objects.filter(pk=entry.pk).update(incident_id=None, incident_position=None)
    assert not verify().ok


def test_the_sweeps_amended_message_is_what_the_chain_holds(reporter, network_category):
    """`record_rows` then `amend_messages` in one transaction (the sweep's way): the content hash is
    of the message that commits, so the chain verifies; a later edit is still caught."""
    incident = make_incident(reporter=reporter, category=network_category)
    with transaction.atomic():
        [pk] = events.record_rows([{"incident_id": incident.pk, "kind": "escalated", "message": "Escalated.",
                                    "public": False}])
        assert pending()  # noted, not written: the transaction is still taking its locks
        events.amend_messages({pk: "Escalated. Routed to Network."})
    assert not pending()
    assert AuditEntry.objects.filter(table=IncidentEvent._meta.db_table, row_pk=pk).count() == 1
    assert verify().ok
    IncidentEvent.objects.filter(pk=pk).update(message="Escalated.")
    assert verify().broken.row_pk == pk


def test_rows_of_a_rolled_back_savepoint_do_not_join_the_chain(reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    before = AuditEntry.objects.count()
    with transaction.atomic():
        events.record(incident, kind="comment", message="kept", notify=False)
        try:
            with transaction.atomic():
                events.record(incident, kind="comment", message="undone", notify=False)
                raise RuntimeError("refused")
        except RuntimeError:
            pass
    assert AuditEntry.objects.count() == before + 1
    assert verify().ok


def test_a_team_change_joins_the_global_chain_only(manager):
    team = Team.objects.create(name="Storage")
    entry = AuditEntry.objects.get(table=Team.history.model._meta.db_table, row_pk=team.history.get().pk)
    assert entry.incident_id is None and entry.incident_position is None
    assert verify().ok


def test_an_export_is_recorded_with_who_and_what(reporter, network_category, manager):
    incident = make_incident(reporter=reporter, category=network_category)
    record_access(actor=manager, action="export", what=f"{incident.reference} bundle", incident=incident)
    entry = AuditEntry.objects.order_by("position").last()
    assert entry.table == "audit.access" and entry.incident_id == incident.pk
    assert '"actor":"maria"' in entry.content and '"action":"export"' in entry.content
    assert verify().ok
    AuditEntry.objects.filter(pk=entry.pk).update(content=entry.content.replace("maria", "nobody"))
    assert "recorded content was edited" in verify().broken.problem


def test_record_access_refuses_an_empty_action(manager):
    with pytest.raises(ValueError, match="needs an action"):
        record_access(actor=manager, action=" ", what="x")


def test_verify_audit_names_an_unknown_incident(db):
    with pytest.raises(CommandError, match="No incident INC-999999"):
        call_command("verify_audit", incident="INC-999999")


def test_chaining_50_events_costs_the_same_queries_as_chaining_1(reporter, network_category):
    """The sweep writes thousands of events a batch: the chain reads each source table once, the
    heads once and inserts once, whatever the number of rows."""
    from django.test.utils import CaptureQueriesContext

    incidents = [make_incident(reporter=reporter, category=network_category) for _ in range(2)]

    def chain(count: int) -> list[str]:
        rows = [{"incident_id": incidents[n % 2].pk, "kind": "comment", "message": f"row {n}", "public": False}
                for n in range(count)]
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            events.record_rows(rows)
        return [q["sql"] for q in captured.captured_queries]

    one, fifty = chain(1), chain(50)
    assert len(one) == len(fifty)
    audit = [sql for sql in fifty if "compliance_auditentry" in sql or "advisory" in sql]
    assert len(audit) <= 3  # (the lock,) the heads, the insert
    assert verify().ok


def test_verify_reads_a_batch_of_entries_with_one_query_per_source_table(reporter, network_category):
    """No query per entry: 100k entries are a few hundred queries, not 100k."""
    from django.test.utils import CaptureQueriesContext

    incident = make_incident(reporter=reporter, category=network_category)

    def cost() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert verify(batch_size=1000).ok
        return len(captured.captured_queries)

    few = cost()
    events.record_rows([{"incident_id": incident.pk, "kind": "comment", "message": f"row {n}", "public": False}
                        for n in range(60)])
    assert cost() == few
