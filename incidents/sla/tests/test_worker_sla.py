"""The SLA clock on real Celery workers (Redis broker, PostgreSQL): a due P1 is escalated by the
worker, and a worker killed mid-task has its task redelivered with the escalation fired once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.utils import timezone

from incidents import roles
from incidents.models import Escalation, EscalationRule, Incident, Notification, Page, Rotation, RotationMember
from incidents.tasks import sla_sweep
from incidents.tests.factories import CategoryFactory, TeamFactory, UserFactory, make_incident
from itsm.tests.worker_support import output_of, routed_to, start_worker, stop, wait_for, worker_env

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.redis]

# A short visibility timeout, so that the task of a killed worker is redelivered within seconds.
VISIBILITY = 4

# `celery -A itsm worker --pool=solo`, with every incidents task routed to the test's own queue
# (no other worker on this Redis may take them) and Redis' redelivery made fast.
WORKER = """
import os, sys
from itsm.celery import app
queue = os.environ["SLA_TEST_QUEUE"]
app.conf.update(
    task_routes={"incidents.tasks.*": {"queue": queue}},
    broker_transport_options={"visibility_timeout": float(os.environ["SLA_TEST_VISIBILITY"]),
                              "unacked_restore_interval": 1, "unacked_restore_throttle": 1},
)
app.worker_main(["worker", "--pool=solo", "--loglevel=INFO", "-Q", queue, "-n", sys.argv[1],
                 "--without-gossip", "--without-mingle"])
"""


class Workers:
    """Workers on the test's own queue; every one started is kept, for its output and to stop it."""

    def __init__(self, env: dict[str, str], queue: str, folder: Path) -> None:
        self.env, self.queue, self.folder = env, queue, folder
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def start(self) -> subprocess.Popen:
        log = self.folder / f"worker{len(self.processes)}.log"
        self.logs.append(log)
        process = start_worker(WORKER, f"{self.queue}-{len(self.processes)}@%h", self.env, log)
        self.processes.append(process)
        return process

    def output(self) -> str:
        return output_of(*self.logs)

    def stop(self) -> None:
        for process in self.processes:
            stop(process)


@pytest.fixture
def workers(require_postgres, redis_url, transactional_db, settings, tmp_path):
    # The SLA defaults and roles are there: post_migrate puts them back after each flush.
    queue = f"itsm-sla-test-{uuid.uuid4().hex[:10]}"
    env = worker_env(
        db=settings.DATABASES["default"], redis_url=redis_url, var_dir=tmp_path / "var",
        SLA_TEST_QUEUE=queue, SLA_TEST_VISIBILITY=str(VISIBILITY), ITSM_PAGING_WEBHOOK_URL="",
    )
    pool = Workers(env, queue, tmp_path)
    with routed_to(queue, "incidents.tasks.*"):
        try:
            yield pool
        finally:
            pool.stop()


def overdue_p1(*, minutes: int, **kwargs) -> Incident:
    team = TeamFactory(name="Network", slug="network")
    category = CategoryFactory(name="Network", default_team=team)
    reporter = UserFactory(username="rita", role=roles.REPORTER)
    incident = make_incident(reporter=reporter, category=category, impact="high", urgency="high", **kwargs)
    assert incident.priority == 1
    # Opened `minutes` ago: move the stored clock back rather than the workers' clocks.
    past = timedelta(minutes=minutes)
    Incident.objects.filter(pk=incident.pk).update(
        opened_at=incident.opened_at - past, sla_started_at=incident.sla_started_at - past,
        respond_by=incident.respond_by - past,
        resolve_by=incident.resolve_by - past, unassigned_since=incident.unassigned_since - past,
        update_due_at=incident.update_due_at - past, next_due_at=timezone.now() - timedelta(seconds=1),
    )
    return incident


def test_worker_escalates_a_p1_whose_response_deadline_has_passed(workers):
    EscalationRule.objects.exclude(name__startswith="Response target breached").update(active=False)
    manager = UserFactory(username="maria", role=roles.INCIDENT_MANAGER)
    incident = overdue_p1(minutes=20)
    workers.start()
    sla_sweep.delay()
    fired = Escalation.objects.filter(incident=incident, rule__isnull=False)
    wait_for(fired.exists, 30, "the worker did not escalate", *workers.logs)
    notices = Notification.objects.filter(event__incident=incident, recipient=manager.email)
    wait_for(lambda: notices.filter(sent_at__isnull=False).exists(), 30, "the manager was not told", *workers.logs)
    sla_sweep.delay()  # a second sweep (duplicate delivery, next minute) changes nothing
    wait_for(lambda: workers.output().count("sla_sweep[") >= 4, 30, "the second sweep did not run", *workers.logs)
    incident.refresh_from_db()
    assert incident.response_breached is True
    assert [e.rule.name for e in fired] == ["Response target breached: incident manager"]
    assert notices.count() == 1


class HoldingFarEnd:
    """The paging service: holds the first request open until told, then answers; records which
    requests were answered to a client still listening."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.answered: list[str] = []
        self.abandoned: list[str] = []
        self.release = threading.Event()
        far_end = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                key = self.headers["Idempotency-Key"]
                far_end.received.append(key)
                far_end.release.wait(60)
                if self._client_gone():
                    far_end.abandoned.append(key)
                    return
                self.send_response(200)
                self.end_headers()
                self.wfile.flush()
                far_end.answered.append(key)

            def _client_gone(self) -> bool:
                try:
                    return self.connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
                except BlockingIOError:
                    return False
                except OSError:
                    return True

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/page"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def far_end_for(workers: Workers) -> Iterator[HoldingFarEnd]:
    end = HoldingFarEnd()
    workers.env["ITSM_PAGING_WEBHOOK_URL"] = end.url
    try:
        yield end
    finally:
        end.close()


def test_worker_killed_mid_page_is_redelivered_and_the_escalation_fires_once(workers):
    EscalationRule.objects.exclude(name__startswith="P1/P2 unassigned for 5 minutes").update(active=False)
    on_call = UserFactory(username="ann", role=roles.RESOLVER)
    incident = overdue_p1(minutes=6)
    rotation = Rotation.objects.create(team=incident.team, starts_on=timezone.localdate() - timedelta(days=1))
    RotationMember.objects.create(rotation=rotation, user=on_call, position=0)

    with far_end_for(workers) as far_end:
        first = workers.start()
        sla_sweep.delay()
        # The sweep fires the rule and commits the page; the page task blocks on the far end.
        wait_for(lambda: len(far_end.received) == 1, 45, "the page never reached the far end", *workers.logs)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        far_end.release.set()
        page = Page.objects.get(incident=incident)
        assert page.webhook_sent_at is None
        time.sleep(VISIBILITY + 1)  # past the visibility timeout: Redis gives the task to the next worker

        workers.start()
        wait_for(lambda: Page.objects.filter(pk=page.pk, webhook_sent_at__isnull=False).exists(), 60,
                 "the redelivered page was not sent", *workers.logs)
        sla_sweep.delay()  # and a sweep on the new worker finds nothing left to fire
        wait_for(lambda: workers.logs[1].read_text().count("sla_sweep[") >= 2, 30,
                 "the second sweep did not run", *workers.logs)

    assert Escalation.objects.filter(incident=incident, rule__isnull=False).count() == 1
    assert Page.objects.filter(incident=incident).count() == 1
    key = f"page-{page.pk}"
    assert far_end.received == [key, key]  # sent again after the crash, with the same idempotency key
    assert far_end.abandoned == [key]
    assert far_end.answered == [key]  # one call completed
    page.refresh_from_db()
    assert page.email_sent_at is not None and page.acknowledged_at is None
