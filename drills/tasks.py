"""The door in for Celery to drills: the beat task that runs the scripted steps that are due."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from core.retry import DATABASE_TASK

from . import services


@shared_task(
    name="drills.tasks.run_due_steps",
    # A run that could not start within its minute is superseded by the next one.
    **{**DATABASE_TASK, "expires": 120, "max_retries": 3, "soft_time_limit": 50, "time_limit": 58},
)
def run_due_steps() -> dict:
    """Every minute (beat): the drills' scripted alerts, updates and comments that are due, once each."""
    return asdict(services.run_due_steps())
