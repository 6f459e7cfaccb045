"""A real Celery worker reading a real IMAP mailbox (Dovecot, Redis, PostgreSQL), killed half-way
through it: what it committed stays, what it was doing is rolled back, and the next poll processes
the rest and only flags what was committed but not yet flagged. Nothing lost, nothing twice."""

from __future__ import annotations

import os
import signal
import time

import pytest

from incidents.models import Incident
from intake.mail import imap
from intake.models import InboundMessage, MessageOutcome
from intake.tasks import poll_mailbox
from itsm.tests import worker_support
from itsm.tests.worker_support import queue_worker

from .mail_support import build, imap_mailbox, imap_server_fixture, mail_domain_fixture, raw  # noqa: F401

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.redis]

MESSAGES = 120
RATE = "10000"


@pytest.fixture
def worker(require_postgres, redis_url, transactional_db, settings, tmp_path, imap_server):
    settings.ITSM_MAIL_RATE_PER_HOUR = int(RATE)
    with queue_worker(("intake", "incidents", "core", "webhooks"), db=settings.DATABASES["default"],
                      redis_url=redis_url, folder=tmp_path, ITSM_MAIL_DOMAIN=settings.ITSM_MAIL_DOMAIN,
                      ITSM_MAIL_RATE_PER_HOUR=RATE, ITSM_TEST_IMAP_PASSWORD=imap_server.users["desk"]) as running:
        yield running


def test_a_worker_killed_mid_mailbox_loses_and_duplicates_nothing(worker, imap_server, monkeypatch, mail_domain,
                                                                  reporter):
    process, log = worker
    mailbox = imap_mailbox(imap_server, monkeypatch)
    with imap_server.client() as client:
        for n in range(MESSAGES):
            client.append("INBOX", raw(build(sender=reporter.email, subject=f"Problem number {n}")))

    poll_mailbox.delay(mailbox.pk)
    deadline = time.monotonic() + 60
    while InboundMessage.objects.count() < 10:
        if time.monotonic() > deadline or process.poll() is not None:
            pytest.fail(f"the worker processed nothing within 60s.\n{worker_support.output_of(log)}")
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # mid-mailbox, mid-message as likely as not
    process.wait(timeout=10)

    done_by_worker = InboundMessage.objects.count()
    assert 10 <= done_by_worker < MESSAGES, "the worker finished before it was killed: make the mailbox bigger"
    assert Incident.objects.count() == done_by_worker  # each committed row has its incident, and no more
    assert len(imap_server.unseen()) >= MESSAGES - done_by_worker

    result = imap.poll(mailbox)  # the next poll, in this process
    # What the worker left unseen: the messages it never reached, and at most one it committed but
    # had not flagged yet when it died (read again, found by its Message-ID, only flagged).
    assert result.duplicates <= 1
    assert result.read == MESSAGES - done_by_worker + result.duplicates
    assert InboundMessage.objects.count() == MESSAGES
    assert set(InboundMessage.objects.values_list("outcome", flat=True)) == {MessageOutcome.OPENED}
    assert Incident.objects.count() == MESSAGES
    subjects = list(Incident.objects.values_list("summary", flat=True))
    assert sorted(subjects) == sorted(f"Problem number {n}" for n in range(MESSAGES))
    assert imap_server.unseen() == []
