"""The overdue-action sweep is on the beat schedule, and the database scheduler picks it up."""

import pytest
from celery import current_app
from django_celery_beat import schedulers
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from reviews import tasks

ENTRY = "reviews.remind-overdue-action-items"


def test_the_reminder_sweep_is_on_the_one_beat_schedule(settings):
    schedule = current_app.conf.beat_schedule
    assert schedule == settings.CELERY_BEAT_SCHEDULE, "the settings hold the whole schedule"
    assert tasks.remind_overdue_action_items.name == schedule[ENTRY]["task"]


@pytest.mark.django_db
def test_the_database_scheduler_syncs_the_reminder_sweep_into_its_table(monkeypatch):
    # Its connection hygiene would close the connection that holds the test's transaction.
    monkeypatch.setattr(schedulers, "close_old_connections", lambda: None)
    DatabaseScheduler(app=current_app)
    task = PeriodicTask.objects.get(name=ENTRY)
    assert task.task == "reviews.tasks.remind_overdue_action_items"
    assert task.crontab is not None and task.crontab.hour == "8-18" and task.crontab.minute == "0"
