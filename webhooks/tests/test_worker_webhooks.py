"""Webhooks on real Celery workers (Redis broker, PostgreSQL): what an event owes reaches the
receiver from a worker after commit; a receiver that hangs costs its attempt one read timeout and
holds up nothing else; duplicated task deliveries on two workers send each message once."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from incidents import services
from incidents.models import EventKind
from incidents.tests.factories import make_incident
from itsm.tests import worker_support
from itsm.tests.worker_support import routed_to, stop, wait_for, worker_env
from webhooks.delivery import deliver_task
from webhooks.models import Delivery, DeliveryState

from .factories import make_endpoint
from .receiver import Receiver

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.redis]

# A worker that takes only this test's queue, so that no other worker on the same Redis runs its tasks.
WORKER = """
import os, sys
from itsm.celery import app
queue = os.environ["WEBHOOKS_TEST_QUEUE"]
app.conf.update(task_routes={f"{name}.tasks.*": {"queue": queue} for name in ("webhooks", "incidents", "core")})
app.worker_main(["worker", "--pool=solo", "--loglevel=INFO", "-Q", queue, "-n", sys.argv[1],
                 "--without-gossip", "--without-mingle"])
"""
EVENTS = [EventKind.CREATED, EventKind.COMMENT]


@pytest.fixture
def start_worker(require_postgres, redis_url, transactional_db, settings, tmp_path):
    """Starts a worker on the test's own queue each time it is called; returns the logs so far.
    Its receivers are on 127.0.0.1 (allowed), and it waits at most 1 s for an answer."""
    queue = f"itsm-webhooks-test-{uuid.uuid4().hex[:10]}"
    env = worker_env(db=settings.DATABASES["default"], redis_url=redis_url, var_dir=tmp_path / "var",
                     WEBHOOKS_TEST_QUEUE=queue, ITSM_WEBHOOK_ALLOW_PRIVATE="1",
                     ITSM_WEBHOOK_CONNECT_TIMEOUT_SECONDS="1", ITSM_WEBHOOK_READ_TIMEOUT_SECONDS="1")
    processes: list[subprocess.Popen] = []
    logs: list[Path] = []

    def start() -> list[Path]:
        logs.append(tmp_path / f"worker{len(processes)}.log")
        processes.append(worker_support.start_worker(WORKER, f"{queue}-{len(processes)}@%h", env, logs[-1]))
        return logs

    with routed_to(queue, "webhooks.tasks.*", "incidents.tasks.*", "core.tasks.*"):
        try:
            yield start
        finally:
            for process in processes:
                stop(process)


@pytest.fixture
def hanging():
    server = Receiver(path="/hangs")
    server.hang()
    yield server
    server.close()


def test_a_worker_delivers_after_commit_and_a_hanging_receiver_holds_up_nothing_else(
    start_worker, receiver, hanging, manager, reporter
):
    stuck = make_endpoint(manager, hanging, name="Hangs", events=EVENTS)  # queued first, so tried first
    answers = make_endpoint(manager, receiver, name="Answers", events=EVENTS)
    logs = start_worker()
    incident = make_incident(reporter=reporter, summary="Core switch down")
    wait_for(lambda: len(receiver.accepted) == 1, 30, "the answering receiver got nothing", *logs)
    wait_for(lambda: Delivery.objects.filter(endpoint=stuck, attempts=1, claimed_until__isnull=True).exists(), 30,
             "the hanging receiver's attempt was never recorded", *logs)
    hung = Delivery.objects.get(endpoint=stuck)
    assert hung.state == DeliveryState.PENDING and hung.response_code is None
    assert hung.error == "Timed out waiting for the response (after 1 s)."
    assert (hung.next_attempt_at - hung.last_attempt_at).total_seconds() == 30

    # The worker is free again: the next event's messages go out at once.
    services.comment_add(incident=incident, author=reporter, body="Floor 3 is down too", public=True)
    wait_for(lambda: len(receiver.accepted) == 2, 30, "the worker was stuck on the hanging receiver", *logs)
    sent = Delivery.objects.filter(endpoint=answers).order_by("pk")
    assert [r.message_id for r in receiver.accepted] == [d.message_id for d in sent]
    assert [r.payload["type"] for r in receiver.accepted] == ["incident.created", "incident.comment"]
    assert all(d.state == DeliveryState.DELIVERED for d in sent)


def test_duplicated_task_deliveries_on_two_workers_send_the_message_once(start_worker, receiver, manager, reporter):
    logs = start_worker()
    logs = start_worker()
    endpoint = make_endpoint(manager, receiver, events=EVENTS)
    make_incident(reporter=reporter, summary="VPN drops every ten minutes")
    delivery = Delivery.objects.get(endpoint=endpoint)
    for _ in range(6):  # the after-commit task, and six duplicates of it, spread over two workers
        deliver_task.delay(delivery.pk)
    # Each run logs its task id twice (received, succeeded): 7 runs.
    wait_for(lambda: sum(log.read_text().count("webhooks.tasks.deliver[") for log in logs) >= 14, 60,
             "the workers did not run every delivery", *logs)
    assert len(receiver.received) == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 1
