"""The retry sweep is on the one beat schedule, the database scheduler picks it up, and every
webhook task's limits fit the broker's: an attempt ends within its task's time limit, and a claim
outlasts the task that holds it."""

import pytest
from celery import current_app
from django_celery_beat import schedulers
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from webhooks import tasks
from webhooks.delivery import LEASE

ENTRY = "webhooks.retry-due"


def test_the_retry_sweep_is_on_the_one_beat_schedule(settings):
    schedule = current_app.conf.beat_schedule
    assert schedule == settings.CELERY_BEAT_SCHEDULE, "the settings hold the whole schedule"
    assert schedule[ENTRY]["task"] == tasks.retry_due.name == "webhooks.tasks.retry_due"
    # Retries are due from 30 s after a failure: the sweep looks at least as often.
    assert schedule[ENTRY]["schedule"] <= settings.ITSM_WEBHOOK_RETRY_BASE_SECONDS


@pytest.mark.django_db
def test_the_database_scheduler_syncs_the_retry_sweep_into_its_table(monkeypatch):
    # Its connection hygiene would close the connection that holds the test's transaction.
    monkeypatch.setattr(schedulers, "close_old_connections", lambda: None)
    DatabaseScheduler(app=current_app)
    task = PeriodicTask.objects.get(name=ENTRY)
    assert task.task == "webhooks.tasks.retry_due" and task.interval.every == 30


def test_an_attempt_ends_within_its_task_and_its_claim_outlasts_the_task(settings):
    attempt = settings.ITSM_WEBHOOK_CONNECT_TIMEOUT_SECONDS + settings.ITSM_WEBHOOK_READ_TIMEOUT_SECONDS
    assert attempt < tasks.deliver_task.soft_time_limit < tasks.deliver_task.time_limit
    assert LEASE.total_seconds() > tasks.deliver_task.time_limit
    for task in (tasks.deliver_task, tasks.retry_due, tasks.tell_owner_task):
        assert task.acks_late and task.time_limit
