"""The door in for Celery: the beat entry points of incidents, and an import of every task of the
app so that a worker finds them all here.

Thin: tasks take ids, and call a function that does the work idempotently. Delivery tasks live
beside the code they run (`notifications`, `oncall.paging`) under their pinned names; domain code
imports them from there, never this module (it would import the sweep, which imports the domain).
"""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from core.retry import DATABASE_TASK

from .notifications import deliver_sla_notices, notify_event
from .oncall import handoff
from .oncall.handoff import send_briefing_task
from .oncall.paging import send_page_task
from .sla import sweep

__all__ = ["deliver_sla_notices", "handoff_briefings", "notify_event", "send_briefing_task", "send_page_task",
           "sla_sweep"]


@shared_task(
    name="incidents.tasks.sla_sweep",
    # A sweep that could not start within its minute is superseded by the next one.
    **{**DATABASE_TASK, "expires": 120, "max_retries": 3, "soft_time_limit": 50, "time_limit": 58},
)
def sla_sweep() -> dict:
    """Every minute (beat): escalations, breaches, auto-close and unacknowledged pages."""
    return asdict(sweep.sweep())


@shared_task(
    name="incidents.tasks.handoff_briefings",
    # A run that could not start before the next one is superseded by it.
    **{**DATABASE_TASK, "expires": 240, "max_retries": 3},
)
def handoff_briefings() -> int:
    """Every five minutes (beat): the briefing owed at each shift handoff since the last runs."""
    return len(handoff.owe_briefings())
