"""The door in for Celery: every task of the response app, so that a worker finds them here."""

from __future__ import annotations

from .security.delivery import send_notice_task

__all__ = ["send_notice_task"]
