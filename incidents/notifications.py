"""Who hears about an incident event, and what they are told. Sending happens in a task.

A `Notification` row is written under a unique constraint before each send, and marked sent after,
so a task that runs twice (a retry, a duplicate delivery) sends each message once.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .models import EventKind, IncidentEvent, Notification

logger = logging.getLogger(__name__)

# Transitions the reporter is e-mailed about.
REPORTER_TRANSITIONS = {"resolve", "reopen", "cancel"}


def recipients(event: IncidentEvent) -> list[str]:
    incident = event.incident
    emails: list[str] = []
    reporter_email = incident.reporter.email
    by_reporter = event.actor_id == incident.reporter_id
    tells_reporter = (
        event.kind == EventKind.CREATED  # the acknowledgement, even to the reporter who opened it
        or (event.kind == EventKind.COMMENT and event.public and not by_reporter)
        or (event.kind == EventKind.TRANSITION and event.transition in REPORTER_TRANSITIONS and not by_reporter)
    )
    if tells_reporter and reporter_email:
        emails.append(reporter_email)
    assignee = incident.assignee
    tells_assignee = assignee is not None and assignee.email and (
        (event.kind == EventKind.ASSIGNMENT and assignee.pk != event.actor_id)
        # The reporter answered: tell whoever is working on it.
        or (event.kind == EventKind.COMMENT and by_reporter)
    )
    if tells_assignee:
        emails.append(assignee.email)
    return list(dict.fromkeys(emails))


def _subject(event: IncidentEvent) -> str:
    incident = event.incident
    if event.kind == EventKind.CREATED:
        what = "We have received your incident"
    elif event.kind == EventKind.COMMENT:
        what = "New reply"
    elif event.kind == EventKind.ASSIGNMENT:
        what = "Assigned to you"
    elif event.transition == "resolve":
        what = "Resolved – please confirm"
    else:
        what = incident.get_state_display()
    return f"[{incident.reference}] {what}: {incident.summary}"[:200]


def deliver(event_id: int) -> int:
    """Send what is owed for one event. Returns how many messages were sent by this call."""
    event = (
        IncidentEvent.objects.select_related("incident__reporter", "incident__assignee", "actor", "comment")
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return 0
    sent = 0
    for address in recipients(event):
        try:
            with transaction.atomic():
                Notification.objects.get_or_create(event=event, channel="email", recipient=address)
        except IntegrityError:
            pass  # another worker wrote it first
        with transaction.atomic():
            note = (
                Notification.objects.select_for_update(skip_locked=True)
                .filter(event=event, channel="email", recipient=address, sent_at__isnull=True)
                .first()
            )
            if note is None:
                continue  # sent already, or being sent by another worker right now
            body = render_to_string(
                "incidents/email/event.txt",
                {"event": event, "incident": event.incident, "base_url": settings.ITSM_BASE_URL},
            )
            send_mail(_subject(event), body, None, [address])
            note.sent_at = timezone.now()
            note.save(update_fields=["sent_at"])
            sent += 1
    return sent
