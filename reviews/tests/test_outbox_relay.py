"""What reviews owes survives a lost task: the relay asks again for a required review and sends a
reminder whose send failed."""

from __future__ import annotations

import datetime
import smtplib
from datetime import timedelta

from django.utils import timezone

from core import outbox
from incidents.models import Incident
from reviews import reminders, services
from reviews.models import PostIncidentReview, Reminder

from .factories import ActionItemFactory, resolved_incident


def test_a_p1_resolved_while_its_review_task_was_lost_gets_its_review_from_the_relay(
    reporter, agent, resolver, network_category, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the task queued on resolve never runs
        incident = resolved_incident(reporter=reporter, category=network_category, desk=agent, resolver=resolver)
    assert not PostIncidentReview.objects.filter(incident=incident).exists()
    assert outbox.relay()["required reviews"] == 0  # a minute has not passed: its own task may still come

    Incident.objects.filter(pk=incident.pk).update(resolved_at=timezone.now() - timedelta(minutes=2))
    assert outbox.relay()["required reviews"] == 1
    review = PostIncidentReview.objects.get(incident=incident)
    assert review.required
    assert outbox.relay()["required reviews"] == 0


def test_a_p3_resolved_is_not_asked_about(reporter, agent, resolver, network_category,
                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        incident = resolved_incident(reporter=reporter, category=network_category, desk=agent, resolver=resolver,
                                     impact="low", urgency="low")
    Incident.objects.filter(pk=incident.pk).update(resolved_at=timezone.now() - timedelta(minutes=2))
    assert outbox.relay()["required reviews"] == 0


def test_a_reminder_whose_send_failed_is_sent_by_the_relay_a_minute_later(
    reporter, agent, resolver, network_category, manager, mailoutbox, monkeypatch
):
    incident = resolved_incident(reporter=reporter, category=network_category, desk=agent, resolver=resolver)
    review = services.create_required_review(incident.pk)
    ActionItemFactory(review=review, owner=resolver, description="Alert on certificate expiry",
                      due_date=timezone.localdate() - datetime.timedelta(days=1))
    real_send = reminders.send_mail

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("relay went away")

    monkeypatch.setattr(reminders, "send_mail", refuse)
    assert reminders.send_overdue_reminders() == 0
    reminder = Reminder.objects.get()
    assert reminder.sent_at is None
    monkeypatch.setattr(reminders, "send_mail", real_send)
    mailoutbox.clear()

    Reminder.objects.filter(pk=reminder.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    assert outbox.relay()["action item reminders"] == 1
    assert [m.to for m in mailoutbox] == [[resolver.email]]
    assert outbox.relay()["action item reminders"] == 0
    assert len(mailoutbox) == 1
