"""Retry presets for Celery tasks, so that every task of a kind retries the same way.

Every task here is idempotent (its rows say what was done), acknowledged late (a worker that dies
mid-task leaves it to be delivered again) and bounded: a time limit, and a few retries with backoff
for named transient errors only. Tasks spread a preset and override what differs:
`@shared_task(**{**DATABASE_TASK, "max_retries": 3})`.
"""

from __future__ import annotations

import smtplib
from typing import Any

from django.db import OperationalError

# A mail server that is down, refuses for a while, or times out.
MAIL_ERRORS: tuple[type[Exception], ...] = (smtplib.SMTPException, ConnectionError, TimeoutError)
# A locked SQLite database or a dropped PostgreSQL connection; nothing else is worth a retry.
DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError,)

# Sends e-mail from rows that say what is owed.
MAIL_TASK: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": MAIL_ERRORS,
    "max_retries": 5,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "soft_time_limit": 60,
    "time_limit": 90,
}

# Works on the database only (a sweep, creating a row).
DATABASE_TASK: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": DATABASE_ERRORS,
    "max_retries": 5,
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "soft_time_limit": 60,
    "time_limit": 90,
}
