"""Celery entry points. Thin: they take ids, and call a function that does the work idempotently."""

from __future__ import annotations

import smtplib
from urllib.error import URLError

from celery import shared_task
from django.db import OperationalError

from . import notifications
from .oncall.paging import PageBusy

# E-mail tasks: idempotent (the rows say what was sent), so a mail server that is down is retried.
MAIL_TASK = {
    "acks_late": True,
    "autoretry_for": (smtplib.SMTPException, ConnectionError, TimeoutError),
    "max_retries": 5,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "soft_time_limit": 60,
    "time_limit": 90,
}


@shared_task(**MAIL_TASK)
def notify_event(event_id: int) -> int:
    return notifications.deliver(event_id)


# --- SLA clock, escalation and paging ------------------------------------------------------------
@shared_task(
    acks_late=True,
    # A sweep that could not start within its minute is superseded by the next one.
    expires=120,
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=True,
    soft_time_limit=50,
    time_limit=58,
)
def sla_sweep() -> dict:
    """Every minute (beat): escalations, breaches, auto-close and unacknowledged pages."""
    from dataclasses import asdict

    from .sla import sweep as escalation

    return asdict(escalation.sweep())


@shared_task(**MAIL_TASK)
def deliver_sla_notices(event_ids: list[int]) -> int:
    from .sla import sweep as escalation

    return escalation.deliver_notices(event_ids)


@shared_task(
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError, URLError, PageBusy),
    max_retries=8,
    retry_backoff=5,
    retry_backoff_max=120,
    soft_time_limit=60,
    time_limit=90,
)
def send_page(page_id: int) -> dict:
    from .oncall import paging

    return paging.send_page(page_id)
