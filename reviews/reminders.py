"""Overdue action items: a daily reminder to the owner, and one escalation to the incident manager.

The beat task may run any number of times a day, on several workers: a `Reminder` row is written
under its unique constraints before the mail goes out, and claimed with a row lock while sending
(`core.outbox`), so each item gets one reminder per day and one escalation ever. A send that failed
leaves the row unsent: the outbox relay queues `send_reminder_task` for it a minute later.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import date

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from core import outbox
from core.retry import MAIL_TASK
from core.text import mail_subject

from .models import ActionItem, Reminder, ReminderKind

logger = logging.getLogger(__name__)

ESCALATE_AFTER_DAYS = 7
BATCH_SIZE = 500


def escalate_after_days() -> int:
    return int(getattr(settings, "ITSM_REVIEW_ESCALATE_AFTER_DAYS", ESCALATE_AFTER_DAYS))


def _escalation_recipient(item: ActionItem):
    from .services import default_owner

    return item.review.owner or default_owner()


def _owe(item: ActionItem, kind: str, day: date, recipient: str) -> None:
    """Write the row that says this message is owed; nothing if it exists already."""
    outbox.owe(Reminder, action_item=item, kind=kind, day=day, defaults={"recipient": recipient})


def _send(item: ActionItem, kind: str, day: date, today: date) -> bool:
    def send(rows: list[Reminder]) -> list[Reminder]:
        reminder = rows[0]
        if not reminder.recipient:
            reminder.error = "No e-mail address to send to."
            reminder.save(update_fields=["error"])
            return []
        template = "reviews/email/action_overdue.txt" if kind == ReminderKind.REMINDER else "reviews/email/action_escalated.txt"
        context = {
            "item": item, "review": item.review, "incident": item.review.incident,
            "days_overdue": (today - item.due_date).days, "base_url": settings.ITSM_BASE_URL,
        }
        what = "Overdue action" if kind == ReminderKind.REMINDER else "Escalated: overdue action"
        subject = mail_subject(f"[{item.review.reference}] {what}: {item.description}")
        send_mail(subject, render_to_string(template, context), None, [reminder.recipient])
        return rows

    owed = Reminder.objects.filter(action_item=item, kind=kind, day=day, error="")
    return bool(outbox.send_owed(owed, send))


def _send_safely(item: ActionItem, kind: str, day: date, today: date) -> int:
    try:
        return int(_send(item, kind, day, today))
    except (smtplib.SMTPException, OSError):
        # The row stays unsent: the next run today tries again. Other items still get theirs.
        logger.exception("Could not send the %s for action item %s", kind, item.pk)
        return 0


def _remind(item: ActionItem, today: date, escalate_from: int) -> int:
    _owe(item, ReminderKind.REMINDER, today, item.owner.email)
    sent = _send_safely(item, ReminderKind.REMINDER, today, today)
    if (today - item.due_date).days >= escalate_from:
        # Escalation is owed once ever: find the day it was first owed, or owe it today.
        owed_on = (
            Reminder.objects.filter(action_item=item, kind=ReminderKind.ESCALATION).values_list("day", flat=True).first()
        )
        if owed_on is None:
            manager = _escalation_recipient(item)
            _owe(item, ReminderKind.ESCALATION, today, getattr(manager, "email", "") or "")
            owed_on = today
        sent += _send_safely(item, ReminderKind.ESCALATION, owed_on, today)
    return sent


def send_overdue_reminders(today: date | None = None) -> int:
    """One sweep. Returns how many mails this call sent."""
    today = today or timezone.localdate()
    overdue = (
        ActionItem.objects.overdue(today)
        .select_related("owner", "review__owner", "review__incident")
        .order_by("due_date", "pk")
    )
    sent = 0
    escalate_from = escalate_after_days()
    last_pk = 0
    while True:
        # Bounded batches by primary key, so a huge backlog never loads at once.
        batch = list(overdue.filter(pk__gt=last_pk).order_by("pk")[:BATCH_SIZE])
        if not batch:
            break
        last_pk = batch[-1].pk
        for item in batch:
            sent += _remind(item, today, escalate_from)
    return sent


def send_reminder(reminder_id: int) -> int:
    """Send one owed reminder (the relay's way, for a row whose send failed or was cut short)."""
    reminder = (Reminder.objects.select_related("action_item__owner", "action_item__review__incident")
                .filter(pk=reminder_id, sent_at__isnull=True, error="").first())
    if reminder is None:
        return 0
    return int(_send(reminder.action_item, reminder.kind, reminder.day, timezone.localdate()))


def stale(written_before, written_after, limit: int):
    """The relay's finder (`core.outbox.register_relay`): reminders owed in the window, still unsent."""
    rows = (Reminder.objects.filter(sent_at__isnull=True, error="", created_at__lt=written_before,
                                    created_at__gte=written_after)
            .order_by("pk").values_list("pk", flat=True)[:limit])
    for reminder_id in rows:
        yield send_reminder_task, (reminder_id,)


# The task the relay queues (name pinned under reviews.tasks, like the others of the app).
@shared_task(name="reviews.tasks.send_reminder", **MAIL_TASK)
def send_reminder_task(reminder_id: int) -> int:
    return send_reminder(reminder_id)
