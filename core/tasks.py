"""The door in for Celery to the kernel: the outbox relay, run by beat every minute."""

from __future__ import annotations

from celery import shared_task

from core import outbox
from core.retry import DATABASE_TASK


@shared_task(
    name="core.tasks.relay_outbox",
    # A relay that could not start within its minute is superseded by the next one.
    **{**DATABASE_TASK, "expires": 120, "max_retries": 2, "soft_time_limit": 50, "time_limit": 58},
)
def relay_outbox() -> dict[str, int]:
    return outbox.relay()
