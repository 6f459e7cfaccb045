"""The one answer intake ever sends: a refusal to an unknown sender, from a mailbox that refuses them.

It is owed like every other message (`core.outbox`): the refused `InboundMessage` is the row, its
`reply_sent_at` says it went, and the relay queues it again if its task was lost. The reply is
marked as automatic (`Auto-Submitted: auto-replied`, RFC 3834), so that the sender's own
responder does not answer it, and it is never owed to a program's mail: a message that `loops`
ignores is ignored before anything could refuse it, and a message without a sender is unreadable.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from core import outbox
from core.retry import MAIL_TASK
from core.text import mail_subject

from ..models import InboundMessage, MessageOutcome


def refusal(row: InboundMessage) -> EmailMessage:
    body = render_to_string("intake/email/refused.txt", {
        "mailbox": row.mailbox, "message": row, "base_url": settings.ITSM_BASE_URL,
    })
    headers = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All", "Precedence": "auto_reply"}
    if not row.message_key.startswith("sha256:"):
        headers.update({"In-Reply-To": row.message_key, "References": row.message_key})
    return EmailMessage(mail_subject(f"Not accepted: {row.subject or 'your message'}"), body,
                        row.mailbox.address, [row.sender], headers=headers)


def send_refusal(message_id: int) -> int:
    """Send the refusal owed for one refused message, once. Returns how many were sent (0 or 1)."""
    owed = (InboundMessage.objects.filter(pk=message_id, outcome=MessageOutcome.REFUSED)
            .exclude(sender="").select_related("mailbox"))

    def send(rows: list[InboundMessage]) -> list[InboundMessage]:
        for row in rows:
            refusal(row).send()
        return rows

    return outbox.send_owed(owed, send, sent_field="reply_sent_at")


def stale(written_before, written_after, limit: int):
    """The relay's finder (`core.outbox.register_relay`): refusals owed in the window, still unsent."""
    rows = (InboundMessage.objects.filter(outcome=MessageOutcome.REFUSED, reply_sent_at__isnull=True,
                                          received_at__lt=written_before, received_at__gte=written_after)
            .exclude(sender="").order_by("pk").values_list("pk", flat=True)[:limit])
    for pk in rows:
        yield send_refusal_task, (pk,)


@shared_task(name="intake.tasks.send_refusal", **MAIL_TASK)
def send_refusal_task(message_id: int) -> int:
    return send_refusal(message_id)
