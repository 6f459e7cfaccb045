"""The door in for Celery: the review tasks, thin, taking ids (or nothing) and calling a service
that is idempotent. Beat's schedule for them is in `itsm.settings.CELERY_BEAT_SCHEDULE`."""

from __future__ import annotations

from celery import shared_task

from core.retry import DATABASE_TASK

from . import reminders
from .receivers import create_required_review_task
from .reminders import send_reminder_task

__all__ = ["create_required_review_task", "remind_overdue_action_items", "send_reminder_task"]


@shared_task(name="reviews.tasks.remind_overdue_action_items",
             **{**DATABASE_TASK, "max_retries": 3, "soft_time_limit": 240, "time_limit": 300})
def remind_overdue_action_items() -> int:
    return reminders.send_overdue_reminders()
