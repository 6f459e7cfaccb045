"""Two copies of one message processed at the same moment (two polls, two pipe deliveries) on
PostgreSQL: the second waits on the unique key, finds the first committed, and does nothing."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from incidents.models import Incident
from intake.mail import process
from intake.models import InboundMessage

from .mail_support import build, mail_domain_fixture, make_mailbox, raw  # noqa: F401

pytestmark = [pytest.mark.postgres]


def test_two_copies_at_once_make_one_incident(require_postgres, transactional_db, mail_domain, reporter,
                                              monkeypatch):
    mailbox = make_mailbox(name="Desk")
    message = raw(build(sender=reporter.email))
    real_act = process._act

    def slow_act(*args, **kwargs):
        real_act(*args, **kwargs)
        time.sleep(0.5)  # the first copy's transaction stays open while the second arrives

    monkeypatch.setattr(process, "_act", slow_act)
    start = threading.Barrier(2)
    rows, errors = [], []

    def deliver() -> None:
        try:
            start.wait(timeout=10)
            rows.append(process.receive(mailbox, message))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(row.duplicate for row in rows) == [False, True]
    assert len({row.pk for row in rows}) == 1
    assert Incident.objects.count() == 1 and InboundMessage.objects.count() == 1
