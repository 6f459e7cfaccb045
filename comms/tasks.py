"""The door in for Celery: every task of communications, so that a worker finds them here. The
update's sending task lives beside the code it runs (`delivery`) under its pinned name."""

from __future__ import annotations

from .delivery import send_update_task
from .status.tasks import refresh_task

__all__ = ["refresh_task", "send_update_task"]
