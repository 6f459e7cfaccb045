"""Real Celery processes deliver what the web process queues.

Two set-ups: production's (Redis broker, PostgreSQL, a worker started for the test), and the
embedded default of `make run` (a broker in files, SQLite, a worker and beat), which needs no
service and so always runs.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model

from incidents import services
from incidents.models import Notification
from itsm.celery import app

pytestmark = pytest.mark.worker

ROOT = Path(__file__).resolve().parents[2]
# Settings of this test process that must not reach the processes under test.
NOT_INHERITED = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "ITSM_VAR_DIR",
                 "MEDIA_ROOT", "STATIC_ROOT", "EMAIL_BACKEND", "ITSM_PRODUCTION", "DEBUG"}


def process_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(DJANGO_SETTINGS_MODULE="itsm.settings", PYTHONUNBUFFERED="1", **settings)
    return env


@contextmanager
def running(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A Celery process for the duration of the block; stopped (then killed) afterwards."""
    with log.open("w") as output:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=15)


def wait_for(condition: Callable[[], bool], seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    pytest.fail(f"{what} within {seconds:.0f}s. Process output:\n{log.read_text()[-4000:]}")


def celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "itsm", *args]


def database_url(db: dict) -> str:
    """A URL for the database this test runs on (the test database pytest-django created)."""
    auth = quote(db["USER"] or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@contextmanager
def tasks_routed_to(queue: str) -> Iterator[None]:
    # A queue of its own, so that no other worker on this Redis takes the test's task.
    previous = app.conf.task_routes
    app.conf.update(task_routes={"incidents.tasks.notify_event": {"queue": queue}})
    try:
        yield
    finally:
        app.conf.update(task_routes=previous)


@pytest.mark.postgres
@pytest.mark.redis
def test_worker_on_redis_sends_the_reporters_acknowledgement_after_the_web_commits(
    require_postgres, redis_url, transactional_db, settings, tmp_path
):
    """The web process commits an incident and queues the notification; a worker started with
    production's command line (on the same PostgreSQL database and Redis) sends it."""
    queue = f"itsm-test-{uuid.uuid4().hex[:12]}"
    env = process_env(
        DATABASE_URL=database_url(settings.DATABASES["default"]), REDIS_URL=redis_url, DB_CONN_MAX_AGE="0",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", ITSM_VAR_DIR=str(tmp_path / "var"),
    )
    log = tmp_path / "worker.log"
    command = celery("worker", "--pool=solo", "--loglevel=INFO", "-Q", queue, "-n", f"{queue}@%h",
                     "--without-gossip", "--without-mingle")
    with running(command, env, log) as worker, tasks_routed_to(queue):
        wait_for(lambda: worker.poll() is not None or " ready." in log.read_text(), 60, "the worker did not start", log)
        assert worker.poll() is None, log.read_text()

        reporter = get_user_model().objects.create_user("rita", "rita@example.com")
        incident = services.incident_create(reporter=reporter, summary="VPN drops every ten minutes")

        acknowledged = Notification.objects.filter(event__incident=incident, recipient="rita@example.com")
        wait_for(lambda: acknowledged.filter(sent_at__isnull=False).exists(), 30,
                 "the worker did not send the acknowledgement", log)
    assert acknowledged.count() == 1
    assert "notify_event" in log.read_text()


CREATE_INCIDENT = """
import json, django
django.setup()
from django.contrib.auth import get_user_model
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from incidents import services
from incidents.models import EventKind

reporter = get_user_model().objects.create_user("oscar", "oscar@example.com")
# Queues its acknowledgement on commit, like the portal does.
incident = services.incident_create(reporter=reporter, summary="Printer on floor 3 jams")
# An event nobody queued: only beat's periodic task will get it delivered.
event = services.record_event(incident, kind=EventKind.CREATED, actor=reporter, notify=False, public=True,
                              message="Delivered by a periodic task")
every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
PeriodicTask.objects.create(name="deliver event", task="incidents.tasks.notify_event", interval=every_second,
                            args=json.dumps([event.pk]))
print(json.dumps({"incident": incident.pk, "beat_event": event.pk}))
"""


def test_embedded_broker_carries_tasks_from_the_web_and_from_beat_to_the_worker(tmp_path):
    """`make run` without any server: SQLite, the filesystem broker, a worker and beat."""
    var = tmp_path / "var"
    env = process_env(ITSM_VAR_DIR=str(var), EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"

    def sent_for(column: str, value: int) -> bool:
        with sqlite3.connect(var / "itsm.sqlite3", timeout=5) as db:
            row = db.execute(
                "SELECT COUNT(*) FROM incidents_notification n JOIN incidents_incidentevent e ON e.id = n.event_id "
                f"WHERE n.sent_at IS NOT NULL AND {column} = ?", (value,)
            ).fetchone()
        return row[0] > 0

    # The worker touches the database only for a task, so it can start while the schema is built.
    with running(celery("worker", "--pool=solo", "--loglevel=INFO"), env, worker_log) as worker:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env,
                       check=True, timeout=120)
        created = subprocess.run([sys.executable, "-c", CREATE_INCIDENT], cwd=ROOT, env=env, capture_output=True,
                                 text=True, timeout=120)
        assert created.returncode == 0, created.stderr
        ids = json.loads(created.stdout.strip().splitlines()[-1])

        beat_command = celery("beat", "--loglevel=INFO", "--schedule", str(tmp_path / "beat-schedule"),
                              "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler")
        with running(beat_command, env, beat_log) as beat:
            wait_for(lambda: sent_for("e.incident_id", ids["incident"]) or worker.poll() is not None, 40,
                     "the worker did not deliver the task queued by the web process", worker_log)
            wait_for(lambda: sent_for("e.id", ids["beat_event"]) or beat.poll() is not None, 40,
                     "beat's periodic task did not reach the worker", beat_log)
            assert worker.poll() is None, worker_log.read_text()
            assert beat.poll() is None, beat_log.read_text()
    assert "beat: Starting..." in beat_log.read_text()
    assert "celery@" in worker_log.read_text() and "ready." in worker_log.read_text()
