"""An update sent by a real Celery worker (Redis, PostgreSQL) through a real SMTP server: every
recipient gets it once, also when the task is delivered twice."""

from __future__ import annotations

import pytest

from comms import services
from comms.delivery import send_update_task
from comms.models import Audience, UpdateMessage
from incidents import services as incidents
from incidents.models import Service
from incidents.tests.factories import make_incident
from itsm.tests.worker_support import MailSink, queue_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def sink():
    server = MailSink()
    yield server
    server.close()


@pytest.fixture
def worker(require_postgres, redis_url, transactional_db, settings, tmp_path, sink):
    with queue_worker(("comms", "incidents", "core", "webhooks"), db=settings.DATABASES["default"],
                      redis_url=redis_url, folder=tmp_path, **sink.env()) as running:
        yield running


def test_an_update_reaches_every_recipient_exactly_once_with_a_real_worker(
        worker, sink, reporter, network_category, resolver, manager, settings):
    _, log = worker
    incident = make_incident(reporter=reporter, category=network_category, impact="high", urgency="high")
    incident.service = Service.objects.create(name="VPN")
    incident.save()
    incident = incidents.transition(incident=incident.pk, user=resolver, name="start", assignee=resolver)
    for n in range(5):
        services.add_stakeholder(incident=incident, by=resolver, audience=Audience.EXTERNAL,
                                 email=f"customer{n}@example.com")

    update = services.post_update(incident=incident, author=resolver, body="Tunnel replaced; testing now.",
                                  subject="Progress", to_internal=True, to_external=True)
    send_update_task.delay(update.pk)  # a duplicate delivery of the task the commit queued
    expected = set(update.messages.values_list("recipient", flat=True))
    assert expected == {manager.email, reporter.email, *(f"customer{n}@example.com" for n in range(5))}

    wait_for(lambda: not UpdateMessage.objects.filter(update=update, sent_at__isnull=True).exists(), 60,
             "the worker did not send the update", log)
    updates = [m for m in sink.messages if m["Subject"] == f"[{incident.reference}] Progress"]
    assert sorted(m["To"] for m in updates) == sorted(expected)
    assert all(m["References"] == f"<{incident.reference}@{settings.ITSM_MAIL_DOMAIN}>" for m in updates)
