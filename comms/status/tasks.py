"""The snapshot built in a worker, for the portal's banner (`invalidation.refresh_soon`)."""

from __future__ import annotations

from celery import shared_task

from . import selectors


@shared_task(name="comms.tasks.refresh_status_page", ignore_result=True, soft_time_limit=50, time_limit=60)
def refresh_task() -> None:
    selectors.snapshot()
