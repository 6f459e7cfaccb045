"""The door in for Celery: intake's beat entry point (the IMAP mailboxes, every minute), and an
import of every task of the app so that a worker finds them all here. The refusal's sending task
lives beside the code it runs (`mail.replies`) under its pinned name; domain code imports it from
there, never this module. Beat's schedule is in `itsm.settings.CELERY_BEAT_SCHEDULE`."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from core.retry import DATABASE_TASK

from .mail import imap
from .mail.replies import send_refusal_task

__all__ = ["poll_mailbox", "poll_mailboxes", "send_refusal_task"]


@shared_task(
    name="intake.tasks.poll_mailboxes",
    # A round that could not start within its minute is superseded by the next one.
    **{**DATABASE_TASK, "expires": 55, "max_retries": 0, "soft_time_limit": 20, "time_limit": 25},
)
def poll_mailboxes() -> int:
    """Every minute (beat): one task per active IMAP mailbox, so that a slow or unreachable server
    holds up no other mailbox. Returns how many were queued."""
    ids = list(imap.imap_mailboxes().values_list("pk", flat=True))
    for pk in ids:
        poll_mailbox.delay(pk)
    return len(ids)


@shared_task(
    name="intake.tasks.poll_mailbox",
    # Idempotent (every message is processed once, by its Message-ID): a duplicate or a retry of
    # this task only flags what the first run processed.
    **{**DATABASE_TASK, "expires": 120, "max_retries": 2, "soft_time_limit": 240, "time_limit": 270},
)
def poll_mailbox(mailbox_id: int) -> dict:
    mailbox = imap.imap_mailboxes().filter(pk=mailbox_id).first()
    if mailbox is None:
        return {}
    try:
        return asdict(imap.poll(mailbox))
    except imap.MailboxUnavailable as error:
        return {"error": str(error)}  # recorded on the mailbox; the next minute tries again
