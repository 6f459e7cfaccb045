"""Required reviews on real Celery workers (Redis broker, PostgreSQL): the resolve's after-commit
task reaches a worker, and duplicated deliveries on two workers still make one review."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from incidents import roles
from incidents.tests.factories import CategoryFactory, TeamFactory, UserFactory
from itsm.tests import worker_support
from itsm.tests.worker_support import routed_to, stop, wait_for, worker_env
from reviews.models import PostIncidentReview, Trigger
from reviews.tasks import create_required_review_task as create_required_review

from .factories import resolved_incident

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.redis]

# A worker that takes only this test's queue, so that no other worker on the same Redis runs its tasks.
WORKER = """
import os, sys
from itsm.celery import app
queue = os.environ["REVIEWS_TEST_QUEUE"]
app.conf.update(task_routes={"reviews.tasks.*": {"queue": queue}, "incidents.tasks.*": {"queue": queue}})
app.worker_main(["worker", "--pool=solo", "--loglevel=INFO", "-Q", queue, "-n", sys.argv[1],
                 "--without-gossip", "--without-mingle"])
"""


@pytest.fixture
def start_worker(require_postgres, redis_url, transactional_db, settings, tmp_path):
    """Starts a worker on the test's own queue each time it is called; returns the logs so far."""
    queue = f"itsm-reviews-test-{uuid.uuid4().hex[:10]}"
    env = worker_env(db=settings.DATABASES["default"], redis_url=redis_url, var_dir=tmp_path / "var",
                     REVIEWS_TEST_QUEUE=queue)
    processes: list[subprocess.Popen] = []
    logs: list[Path] = []

    def start() -> list[Path]:
        logs.append(tmp_path / f"worker{len(processes)}.log")
        processes.append(worker_support.start_worker(WORKER, f"{queue}-{len(processes)}@%h", env, logs[-1]))
        return logs

    with routed_to(queue, "reviews.tasks.*", "incidents.tasks.*"):
        try:
            yield start
        finally:
            for process in processes:
                stop(process)


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
    wait_for(reviews.exists, 30, "the worker did not create the review", *logs)
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
             "the workers did not run every delivery", *logs)
    assert PostIncidentReview.objects.filter(incident=incident).count() == 1
