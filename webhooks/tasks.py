"""The door in for Celery: the webhooks' beat entry point, and an import of every task of the app
so that a worker finds them all here. Delivery tasks live beside the code they run (`delivery`,
`notices`) under their pinned names; domain code imports them from there, never this module.
Beat's schedule is in `itsm.settings.CELERY_BEAT_SCHEDULE`."""

from __future__ import annotations

from celery import shared_task

from core.retry import DATABASE_TASK

from . import retries
from .delivery import deliver_task
from .notices import tell_owner_task

__all__ = ["deliver_task", "retry_due", "tell_owner_task"]


@shared_task(
    name="webhooks.tasks.retry_due",
    # A sweep that could not start within its half-minute is superseded by the next one.
    **{**DATABASE_TASK, "expires": 60, "max_retries": 2, "soft_time_limit": 25, "time_limit": 28},
)
def retry_due() -> int:
    """Every 30 seconds (beat): retries that are due, and attempts whose worker died."""
    return retries.queue_due()
