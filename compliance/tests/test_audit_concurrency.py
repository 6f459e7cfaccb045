"""Two transactions that take incident locks in opposite orders both commit, and the chain they
write is one unbroken sequence (PostgreSQL: SQLite has no row locks to wait on)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from compliance.audit import record_access, verify
from compliance.models import AuditEntry
from incidents import events
from incidents.models import Incident
from incidents.tests.factories import make_incident

from . import audit_world

reporter, network_category = audit_world.reporter, audit_world.network_category


def _lock(pk: int) -> Incident:
    return Incident.objects.select_for_update(of=("self",)).get(pk=pk)


@pytest.mark.django_db(transaction=True)
def test_two_transactions_on_two_incidents_in_opposite_orders_neither_deadlocks_nor_breaks_the_chain(
        require_postgres, reporter, network_category):
    """T1 locks A and writes on A, then waits for B; T2 holds B, writes on B and on A's chain, and
    commits. Had T1 taken the chain's lock when it wrote on A, T2 would wait for T1 while T1 waits
    for B: a deadlock. The chain's lock is taken at commit, after every row lock."""
    a = make_incident(reporter=reporter, category=network_category)
    b = make_incident(reporter=reporter, category=network_category)
    first_holds_a, second_wrote = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    order: list[str] = []

    def first() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '15s'")
                events.record(_lock(a.pk), kind="comment", message="T1 on A", notify=False)
                first_holds_a.set()
                assert second_wrote.wait(15), "T2 never got to write: it waited on T1"
                events.record(_lock(b.pk), kind="comment", message="T1 on B", notify=False)  # waits for T2
            order.append("T1")
        except BaseException as error:  # noqa: BLE001  (reported by the test below)
            errors.append(error)
        finally:
            connection.close()

    def second() -> None:
        try:
            assert first_holds_a.wait(15)
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '15s'")
                events.record(_lock(b.pk), kind="comment", message="T2 on B", notify=False)
                record_access(actor=None, action="read", what=f"{a.reference} timeline", incident=a.pk)
                second_wrote.set()
                time.sleep(0.3)  # T1 is waiting for B now
            order.append("T2")
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert order == ["T2", "T1"]
    report = verify()
    assert report.ok, report.broken
    positions = list(AuditEntry.objects.order_by("position").values_list("position", flat=True))
    assert positions == list(range(1, len(positions) + 1))
    a_chain = list(AuditEntry.objects.filter(incident=a).order_by("incident_position").values_list("table", flat=True))
    assert a_chain[-2:] == ["audit.access", "incidents_incidentevent"]  # T2's read, then T1's event


@pytest.mark.django_db(transaction=True)
def test_many_writers_at_once_make_one_chain_without_a_fork(require_postgres, reporter, network_category):
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_some() -> None:
        try:
            start.wait(15)
            for _ in range(3):
                make_incident(reporter=reporter, category=network_category)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_some) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    report = verify()
    assert report.ok, report.broken
    assert report.incidents == 12
