"""Celery entry points. Thin: they take ids, and call a function that does the work idempotently."""

from __future__ import annotations

import smtplib

from celery import shared_task

from . import notifications


@shared_task(
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    max_retries=5,
    retry_backoff=True,
    retry_backoff_max=600,
    soft_time_limit=60,
    time_limit=90,
)
def notify_event(event_id: int) -> int:
    return notifications.deliver(event_id)
