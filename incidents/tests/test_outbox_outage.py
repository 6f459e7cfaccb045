"""Nothing lost when the broker or a worker dies: real workers, a real mail server at the far end,
and a Redis of the test's own that the test stops and starts again.

Each owed e-mail or page is a row written with the change that owes it. After commit a task is
queued; with Redis down that fails quietly, and the outbox relay (beat's task, run here by the test
at the moment beat would) queues it again once Redis is back. A worker killed mid-send leaves its
rows unsent, and the relay gets them to another worker.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core import outbox
from incidents import roles
from incidents.models import EscalationRule, Incident, Notification, Page, Rotation, RotationMember
from incidents.sla import sweep
from incidents.tests.factories import CategoryFactory, TeamFactory, UserFactory, make_incident
from itsm.tests.worker_support import (
    MailSink,
    publishing_to,
    routed_to,
    start_worker,
    stop,
    wait_for,
    worker_env,
)

pytestmark = [pytest.mark.worker, pytest.mark.postgres]

# The relay as beat runs it, with a short age so that the test need not wait a minute: rows written
# more than a second ago and still unsent are queued again.
RELAY_NOW = outbox.RelayWindow(after=timedelta(seconds=1), give_up=timedelta(hours=1))

WORKER = """
import sys
from itsm.celery import app
app.worker_main(["worker", "--pool=solo", "--loglevel=INFO", "-Q", sys.argv[1].split("@")[0], "-n", sys.argv[1],
                 "--without-gossip", "--without-mingle"])
"""


@pytest.fixture
def sink():
    server = MailSink()
    yield server
    server.close()


@pytest.fixture
def deployment(require_postgres, own_redis, sink, transactional_db, settings, tmp_path):
    """A worker on the test's own Redis and queue, mailing through the sink; this process queues
    its tasks there too. Yields a function that starts a worker (and returns its process)."""
    queue = f"itsm-outbox-{uuid.uuid4().hex[:10]}"
    env = worker_env(db=settings.DATABASES["default"], redis_url=own_redis.url, var_dir=tmp_path / "var",
                     ITSM_PAGING_WEBHOOK_URL="")
    env.update(sink.env())
    started = []

    def start() -> object:
        log = tmp_path / f"worker{len(started)}.log"
        process = start_worker(WORKER, f"{queue}@w{len(started)}", env, log)
        started.append((process, log))
        return process

    start.logs = lambda: [log for _, log in started]
    with routed_to(queue, "incidents.tasks.*", "core.tasks.*"), publishing_to(own_redis.url):
        try:
            yield start
        finally:
            for process, _ in started:
                stop(process)


def relay_until_queued(*logs) -> dict[str, int]:
    """Run the relay until the broker takes what it queues (Redis needs a moment after a start)."""
    runs: list[dict[str, int]] = []
    wait_for(lambda: any(runs.append(outbox.relay(RELAY_NOW)) or runs[-1].values()), 30, "the relay could not queue",
             *logs)
    return runs[-1]


def report(client, summary: str) -> object:
    return client.post(reverse("portal:report"), {
        "summary": summary, "description": "Seen since this morning.", "category": "", "service": "",
        "people_affected": "me", "can_keep_working": "blocked", "submission": str(uuid.uuid4()),
    })


def test_portal_reports_during_a_redis_outage_succeed_and_their_acknowledgements_arrive_once_after_it(
    deployment, own_redis, sink, client
):
    deployment()
    reporter = UserFactory(username="rita", role=roles.REPORTER)
    client.force_login(reporter)

    own_redis.stop()
    started = time.monotonic()
    responses = [report(client, "VPN drops every ten minutes"), report(client, "Printer on floor 3 jams")]
    assert [r.status_code for r in responses] == [302, 302]
    assert time.monotonic() - started < 5  # the request does not wait on the broker
    owed = Notification.objects.filter(event__incident__reporter=reporter, recipient=reporter.email)
    assert owed.count() == 2 and not owed.filter(sent_at__isnull=False).exists()
    time.sleep(1.2)  # the rows are older than the relay's age
    assert not any(outbox.relay(RELAY_NOW).values())  # still down: nothing queued, nothing raised
    assert sink.messages == []

    own_redis.start()
    queued = relay_until_queued(*deployment.logs())
    assert queued["incident e-mails"] == 2
    wait_for(lambda: len(sink.to(reporter.email)) == 2, 60, "the acknowledgements did not arrive", *deployment.logs())
    outbox.relay(RELAY_NOW)  # beat's next minute: nothing is unsent, nothing is queued or sent again
    time.sleep(2)
    subjects = [m["Subject"].split(": ", 1)[1] for m in sink.to(reporter.email)]
    assert sorted(subjects) == ["Printer on floor 3 jams", "VPN drops every ten minutes"]
    assert not owed.filter(sent_at__isnull=True).exists()


def test_a_sweep_during_a_redis_outage_pages_the_on_call_person_once_redis_is_back(deployment, own_redis, sink):
    EscalationRule.objects.exclude(name__startswith="P1/P2 unassigned for 5 minutes").update(active=False)
    deployment()
    team = TeamFactory(name="Network", slug="network")
    on_call = UserFactory(username="ann", role=roles.RESOLVER, team=team)
    rotation = Rotation.objects.create(team=team, starts_on=timezone.localdate() - timedelta(days=1))
    RotationMember.objects.create(rotation=rotation, user=on_call, position=0)
    incident = make_incident(reporter=UserFactory(username="rita", role=roles.REPORTER),
                             category=CategoryFactory(name="Network", default_team=team), impact="high", urgency="high")
    assert incident.priority == 1
    past = timedelta(minutes=6)
    Incident.objects.filter(pk=incident.pk).update(
        opened_at=incident.opened_at - past, sla_started_at=incident.sla_started_at - past,
        respond_by=incident.respond_by - past, resolve_by=incident.resolve_by - past,
        unassigned_since=incident.unassigned_since - past, update_due_at=incident.update_due_at - past,
        next_due_at=timezone.now() - timedelta(seconds=1),
    )

    own_redis.stop()
    result = sweep.sweep()  # beat's minute, during the outage: the page is committed, its task is not queued
    assert result.escalations == 1
    page = Page.objects.get(incident=incident)
    assert page.user == on_call and page.email_sent_at is None
    time.sleep(1.2)

    own_redis.start()
    relay_until_queued(*deployment.logs())
    wait_for(lambda: sink.to(on_call.email), 60, "the page did not arrive", *deployment.logs())
    time.sleep(2)
    pages = sink.to(on_call.email)
    assert len(pages) == 1 and pages[0]["Subject"].startswith(f"[PAGE] {incident.reference} P1")
    page.refresh_from_db()
    assert page.email_sent_at is not None


def test_a_worker_killed_mid_send_has_its_email_delivered_by_the_relay_once(deployment, sink, client):
    first = deployment()
    reporter = UserFactory(username="rita", role=roles.REPORTER)
    client.force_login(reporter)
    sink.hold()  # the mail server stops answering: the worker is caught in the middle of the send
    assert report(client, "Payroll app shows a blank page").status_code == 302
    wait_for(sink.holding.is_set, 60, "the worker never started sending", *deployment.logs())

    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    killed_at = time.monotonic()
    sink.release()
    owed = Notification.objects.get(event__incident__reporter=reporter, recipient=reporter.email)
    assert owed.sent_at is None  # the claim died with the worker's transaction

    deployment()  # another worker; the killed one's task is Redis' for its visibility timeout
    relay_until_queued(*deployment.logs())
    wait_for(lambda: sink.to(reporter.email), 60, "the relay did not get the e-mail sent", *deployment.logs())
    assert time.monotonic() - killed_at < 120
    outbox.relay(RELAY_NOW)
    time.sleep(2)
    assert len(sink.to(reporter.email)) == 1
    owed.refresh_from_db()
    assert owed.sent_at is not None
