"""Sending an update's e-mails, once each (`core.outbox`), threaded with the incident's other mail."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import EmailMessage

from core import outbox
from core.retry import MAIL_TASK
from incidents import mail_ids

from .models import UpdateMessage


def _email(message: UpdateMessage) -> EmailMessage:
    update = message.update
    reference = update.incident.reference
    return EmailMessage(update.subject, update.body, None, [message.recipient],
                        headers=mail_ids.thread_headers(reference, mail_ids.update_message_id(reference, message.pk)))


def send_update(update_id: int) -> int:
    """Send the unsent messages of one update. Returns how many this call sent."""
    owed = UpdateMessage.objects.filter(update_id=update_id).select_related("update__incident").order_by("pk")
    return outbox.send_each(owed, _email)


@shared_task(name="comms.tasks.send_update", **MAIL_TASK)
def send_update_task(update_id: int) -> int:
    return send_update(update_id)


# The relay's finder: every update with messages still unsent that were owed in the window.
stale = outbox.stale_groups(UpdateMessage, "update_id", send_update_task)
