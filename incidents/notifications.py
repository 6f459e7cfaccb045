"""The e-mails an incident owes: who hears about an event and what they are told, and the SLA
notices a sweep fired. Sending happens in the tasks at the bottom, after commit.

A `Notification` row is written for each e-mail in the transaction that records the event (`owe`,
called by `events.record`; the sweep and the paging chain write their notices' rows themselves),
and marked sent in the transaction that sends (`core.outbox`). So a message is owed even if its
task was never queued (the relay, `stale`, queues it again), and a task that runs twice (a retry,
a duplicate delivery) or two workers at once send each message once.

Each e-mail is threaded (`mail_ids`): its Message-ID comes from its notification row, so a resend
after a crash carries the same one, and it replies to the incident's thread root, so that mail
clients show an incident's messages as one conversation and the e-mail intake puts a reply on it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core import outbox
from core.retry import MAIL_TASK
from core.text import mail_subject

from . import mail_ids, panels, roles
from .models import EventKind, IncidentEvent, Notification

# Events whose e-mails are SLA notices (`deliver_notices`), not replies to people (`deliver`); the
# regulatory clocks' thresholds are swept with the SLA and told the same way.
NOTICE_KINDS = frozenset({EventKind.SLA_WARNING, EventKind.SLA_BREACH, EventKind.ESCALATION, EventKind.REGULATORY})

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
    # Never to an assignee who may no longer read it (left on a security incident they cannot see);
    # staff, as every assignee is, read every ordinary incident.
    readable = not (incident.confidential or incident.security) or (assignee and roles.can_view(assignee, incident))
    tells_assignee = assignee is not None and assignee.email and readable and (
        (event.kind == EventKind.ASSIGNMENT and assignee.pk != event.actor_id)
        # The reporter answered: tell whoever is working on it.
        or (event.kind == EventKind.COMMENT and by_reporter)
    )
    if tells_assignee:
        emails.append(assignee.email)
    return list(dict.fromkeys(emails))


def addressed_to(incident, address: str) -> dict:
    """Whom an e-mail about the incident greets, and where its link leads: the reporter to the
    portal, the person working on it to the admin."""
    assignee = incident.assignee
    if assignee is not None and address == assignee.email and address != incident.reporter.email:
        return {"recipient_name": assignee.get_full_name() or assignee.get_username(), "to_assignee": True,
                "link": reverse("admin:incidents_incident_change", args=[incident.pk])}
    reporter = incident.reporter
    return {"recipient_name": reporter.get_full_name() or reporter.get_username(), "to_assignee": False,
            "link": incident.get_absolute_url()}


DRILL_SUBJECT = "[DRILL] "
DRILL_TEXT = "DRILL: "


def drill_marked(incident, text: str, *, mark: str = DRILL_SUBJECT) -> str:
    """`text` (a subject, a page) as it goes out about this incident: a drill's starts with the
    mark, so that nobody takes an exercise for the real thing."""
    return mark + text if incident.exercise and not text.startswith(mark) else text


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
    # One line whatever the stored summary holds: a line break in a header is an injection.
    return mail_subject(drill_marked(incident, f"[{incident.reference}] {what}: {incident.summary}"))


def threaded(incident, note: Notification, subject: str, body: str, address: str) -> EmailMessage:
    """The e-mail for notification row `note`, in the incident's thread. Marked as sent by a
    program (RFC 3834), so that out-of-office responders do not answer it."""
    return EmailMessage(subject, body, None, [address], headers={
        **mail_ids.thread_headers(incident.reference, mail_ids.message_id(incident.reference, note.pk)),
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
    })


def owe(event: IncidentEvent) -> int:
    """Write a row for every e-mail this event owes (in the caller's transaction). Returns how many."""
    return owe_to(event, recipients(event))


def owe_to(event: IncidentEvent, addresses: Iterable[str]) -> int:
    """Write a row for an e-mail about `event` to each address, once (in the caller's transaction)."""
    rows = [Notification(event=event, channel="email", recipient=address) for address in dict.fromkeys(addresses)]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def deliver(event_id: int) -> int:
    """Send the e-mails owed for one event. Returns how many messages were sent by this call."""
    addresses = list(Notification.objects.filter(event_id=event_id, channel="email", sent_at__isnull=True)
                     .order_by("pk").values_list("recipient", flat=True))
    if not addresses:
        return 0
    event = (
        IncidentEvent.objects.select_related("incident__reporter", "incident__assignee", "actor", "comment")
        .get(pk=event_id)
    )
    sent = 0
    for address in addresses:

        def send(notes: list[Notification], address: str = address) -> list[Notification]:
            body = render_to_string("incidents/email/event.txt", {
                "event": event, "incident": event.incident, "base_url": settings.ITSM_BASE_URL,
                **addressed_to(event.incident, address),
            })
            threaded(event.incident, notes[0], _subject(event), body, address).send()
            return notes

        sent += outbox.send_owed(
            Notification.objects.filter(event=event, channel="email", recipient=address), send,
        )
    return sent


def deliver_notices(event_ids: Iterable[int]) -> int:
    """Send the e-mails owed for these SLA events, each once (rows written by the sweep or the
    paging chain). Returns how many e-mails this call sent.

    One e-mail per incident and recipient: what one sweep fired together (a breach, the manager's
    notice, the team's) reaches each person as one message listing it all, not as several.
    """
    pending = (Notification.objects.filter(event_id__in=list(event_ids), channel="email", sent_at__isnull=True)
               .values_list("pk", "event__incident_id", "recipient"))
    groups: dict[tuple[int, str], list[int]] = {}
    for note_id, incident_id, recipient in pending:
        groups.setdefault((incident_id, recipient), []).append(note_id)
    sent = 0
    for (_incident, recipient), note_ids in sorted(groups.items()):

        def send(notes: list[Notification], recipient: str = recipient) -> list[Notification]:
            events = [note.event for note in notes]
            incident = events[0].incident
            overdue = incident.update_due_at is not None and incident.update_due_at <= timezone.now()
            body = render_to_string("incidents/email/sla_notice.txt", {
                "events": events, "incident": incident, "base_url": settings.ITSM_BASE_URL,
                # A missed stakeholder update: the form to post it, with the status-update template.
                "post_update_url": panels.link("post_update", incident) if overdue else None,
            })
            what = events[0].get_kind_display() if len(events) == 1 else f"{len(events)} SLA notices"
            subject = mail_subject(drill_marked(incident, f"[{incident.reference}] {what}: {incident.summary}"))
            # The first row names the message: the same rows, sent again, make the same Message-ID.
            threaded(incident, min(notes, key=lambda note: note.pk), subject, body, recipient).send()
            return notes

        owed = (Notification.objects.filter(pk__in=note_ids)
                .select_related("event__incident__team", "event__incident__assignee")
                .order_by("event__created_at", "event_id"))
        sent += bool(outbox.send_owed(owed, send))
    return sent


def stale(written_before, written_after, limit: int):
    """The relay's finder (`core.outbox.register_relay`): the task for every event with e-mails
    still unsent that were owed in the window (SLA notices together, as one sweep sends them)."""
    rows = (Notification.objects.filter(sent_at__isnull=True, error="", created_at__lt=written_before,
                                        created_at__gte=written_after)
            .order_by("event_id").values_list("event_id", "event__kind").distinct()[:limit])
    notices = []
    for event_id, kind in rows:
        if kind in NOTICE_KINDS:
            notices.append(event_id)
        else:
            yield notify_event, (event_id,)
    if notices:
        yield deliver_sla_notices, (notices,)


# --- the tasks that send (names pinned: they were registered under incidents.tasks) --------------
@shared_task(name="incidents.tasks.notify_event", **MAIL_TASK)
def notify_event(event_id: int) -> int:
    return deliver(event_id)


@shared_task(name="incidents.tasks.deliver_sla_notices", **MAIL_TASK)
def deliver_sla_notices(event_ids: list[int]) -> int:
    return deliver_notices(event_ids)
