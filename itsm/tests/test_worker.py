"""Real Celery processes deliver what the web process queues.

Two set-ups: production's (Redis broker, PostgreSQL, a worker started for the test), and the
embedded default of `make run` (a broker in files, SQLite, a worker and beat), which needs no
service and so always runs.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid

import pytest
from django.contrib.auth import get_user_model

from incidents import services
from incidents.models import Notification

from .worker_support import ROOT, process_env, routed_to, running, wait_for, worker_env

pytestmark = pytest.mark.worker


def celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "itsm", *args]


@pytest.mark.postgres
@pytest.mark.redis
def test_worker_on_redis_sends_the_reporters_acknowledgement_after_the_web_commits(
    require_postgres, redis_url, transactional_db, settings, tmp_path
):
    """The web process commits an incident and queues the notification; a worker started with
    production's command line (on the same PostgreSQL database and Redis) sends it."""
    queue = f"itsm-test-{uuid.uuid4().hex[:12]}"
    env = worker_env(db=settings.DATABASES["default"], redis_url=redis_url, var_dir=tmp_path / "var")
    log = tmp_path / "worker.log"
    command = celery("worker", "--pool=solo", "--loglevel=INFO", "-Q", queue, "-n", f"{queue}@%h",
                     "--without-gossip", "--without-mingle")
    with running(command, env, log) as worker, routed_to(queue, "incidents.tasks.notify_event"):
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
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from incidents import services
from incidents.models import EventKind, Notification

reporter = get_user_model().objects.create_user("oscar", "oscar@example.com")
# Queues its acknowledgement on commit, like the portal does.
incident = services.incident_create(reporter=reporter, summary="Printer on floor 3 jams")
# An e-mail owed two minutes ago whose task was lost: only beat's relay gets it delivered.
event = services.record_event(incident, kind=EventKind.CREATED, actor=reporter, notify=False, public=True,
                              message="Delivered by the relay")
Notification.objects.create(event=event, recipient="oscar@example.com", created_at=timezone.now() - timedelta(minutes=2))
every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
PeriodicTask.objects.create(name="relay every second", task="core.tasks.relay_outbox", interval=every_second)
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
                     "beat's relay did not get the lost e-mail to the worker", beat_log)
            assert worker.poll() is None, worker_log.read_text()
            assert beat.poll() is None, beat_log.read_text()
    assert "beat: Starting..." in beat_log.read_text()
    assert "celery@" in worker_log.read_text() and "ready." in worker_log.read_text()
