"""Required reviews on real Celery workers (Redis broker, PostgreSQL): the resolve's after-commit
task reaches a worker, and duplicated deliveries on two workers still make one review."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from incidents import roles
from incidents.tests.factories import CategoryFactory, TeamFactory, UserFactory
from itsm.celery import app
from reviews.models import PostIncidentReview, Trigger
from reviews.tasks import create_required_review

from .factories import resolved_incident

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
NOT_INHERITED = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "ITSM_VAR_DIR",
                 "MEDIA_ROOT", "STATIC_ROOT", "EMAIL_BACKEND", "ITSM_PRODUCTION", "DEBUG"}
# A worker that takes only this test's queue, so that no other worker on the same Redis runs its tasks.
WORKER = """
import os, sys
from itsm.celery import app
queue = os.environ["REVIEWS_TEST_QUEUE"]
app.conf.update(task_routes={"reviews.tasks.*": {"queue": queue}, "incidents.tasks.*": {"queue": queue}})
app.worker_main(["worker", "--pool=solo", "--loglevel=INFO", "-Q", queue, "-n", sys.argv[1],
                 "--without-gossip", "--without-mingle"])
"""


def database_url(db: dict) -> str:
    auth = quote(db["USER"] or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def wait_for(condition, seconds: float, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    output = "\n".join(f"--- {log}\n{log.read_text()[-3000:]}" for log in logs)
    pytest.fail(f"{what} within {seconds:.0f}s.\n{output}")


@pytest.fixture
def start_worker(require_postgres, redis_url, transactional_db, settings, tmp_path):
    queue = f"itsm-reviews-test-{uuid.uuid4().hex[:10]}"
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(
        DJANGO_SETTINGS_MODULE="itsm.settings", PYTHONUNBUFFERED="1", DB_CONN_MAX_AGE="0",
        DATABASE_URL=database_url(settings.DATABASES["default"]), REDIS_URL=redis_url,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", ITSM_VAR_DIR=str(tmp_path / "var"),
        REVIEWS_TEST_QUEUE=queue,
    )
    previous = app.conf.task_routes
    app.conf.update(task_routes={"reviews.tasks.*": {"queue": queue}, "incidents.tasks.*": {"queue": queue}})
    processes: list[subprocess.Popen] = []
    logs: list[Path] = []

    def start() -> list[Path]:
        log = tmp_path / f"worker{len(processes)}.log"
        process = subprocess.Popen(
            [sys.executable, "-c", WORKER, f"{queue}-{len(processes)}@%h"], cwd=ROOT, env=env,
            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        processes.append(process)
        logs.append(log)
        wait_for(lambda: process.poll() is not None or " ready." in log.read_text(), 60, "the worker did not start",
                 logs)
        assert process.poll() is None, log.read_text()
        return logs

    try:
        yield start
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=15)
        app.conf.update(task_routes=previous)


@pytest.fixture
def people(db):
    team = TeamFactory(name="Network", slug="network")
    return {
        "category": CategoryFactory(name="Network", default_team=team),
        "reporter": UserFactory(username="rita", role=roles.REPORTER),
        "desk": UserFactory(username="dana", role=roles.DESK_AGENT),
        "resolver": UserFactory(username="nick", role=roles.RESOLVER, team=team),
        "manager": UserFactory(username="maria", role=roles.INCIDENT_MANAGER),
    }


def test_a_worker_creates_the_review_of_a_resolved_p1_after_commit(start_worker, people):
    logs = start_worker()
    incident = resolved_incident(reporter=people["reporter"], category=people["category"], desk=people["desk"],
                                 resolver=people["resolver"])
    reviews = PostIncidentReview.objects.filter(incident=incident)
    wait_for(reviews.exists, 30, "the worker did not create the review", logs)
    review = reviews.get()
    assert review.trigger == Trigger.PRIORITY and review.owner == people["manager"]
    assert review.timeline.count() == 4


def test_duplicated_deliveries_on_two_workers_make_one_review(start_worker, people):
    logs = start_worker()
    logs = start_worker()
    incident = resolved_incident(reporter=people["reporter"], category=people["category"], desk=people["desk"],
                                 resolver=people["resolver"])
    # The resolve's own after-commit task, and six duplicate deliveries of it, spread over two workers.
    for _ in range(6):
        create_required_review.delay(incident.pk)
    # Each run logs its task id twice (received, succeeded): 7 runs.
    wait_for(lambda: sum(log.read_text().count("create_required_review[") for log in logs) >= 14, 60,
             "the workers did not run every delivery", logs)
    assert PostIncidentReview.objects.filter(incident=incident).count() == 1
