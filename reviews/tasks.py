"""Celery entry points. Thin: they take ids (or nothing), and call a service that is idempotent."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from . import reminders, services

# A locked SQLite database or a dropped PostgreSQL connection are worth retrying; nothing else is.
TRANSIENT = (OperationalError,)


@shared_task(acks_late=True, autoretry_for=TRANSIENT, max_retries=5, retry_backoff=True, retry_backoff_max=300,
             soft_time_limit=60, time_limit=90)
def create_required_review(incident_id: int) -> int | None:
    review = services.create_required_review(incident_id)
    return review.pk if review is not None else None


@shared_task(acks_late=True, autoretry_for=TRANSIENT, max_retries=3, retry_backoff=True,
             soft_time_limit=240, time_limit=300)
def remind_overdue_action_items() -> int:
    return reminders.send_overdue_reminders()
