"""Sending a notice's e-mails, once each (`core.outbox`), in the incident's mail thread."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import EmailMessage

from core import outbox
from core.retry import MAIL_TASK
from incidents import mail_ids

from ..models import NoticeMessage


def notice_message_id(reference: str, message_id: int) -> str:
    return f"<{reference}.s{message_id}@{mail_ids.domain()}>"


def _email(message: NoticeMessage) -> EmailMessage:
    notice = message.notice
    reference = notice.incident.reference
    return EmailMessage(notice.subject, notice.body, None, [message.recipient],
                        headers=mail_ids.thread_headers(reference, notice_message_id(reference, message.pk)))


def send_notice(notice_id: int) -> int:
    """Send the unsent e-mails of one notice. Returns how many this call sent."""
    owed = NoticeMessage.objects.filter(notice_id=notice_id).select_related("notice__incident").order_by("pk")
    return outbox.send_each(owed, _email)


@shared_task(name="response.tasks.send_notice", **MAIL_TASK)
def send_notice_task(notice_id: int) -> int:
    return send_notice(notice_id)


# The relay's finder: every notice with e-mails still unsent that were owed in the window.
stale = outbox.stale_groups(NoticeMessage, "notice_id", send_notice_task)
