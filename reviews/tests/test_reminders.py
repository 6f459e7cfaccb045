"""Overdue action items remind their owner once a day and escalate to the incident manager once."""

import datetime
import smtplib

import pytest
import time_machine

from reviews import reminders, services, tasks
from reviews.models import Reminder, ReminderKind

from .factories import ActionItemFactory, resolved_incident


def on(day: int, hour: int = 9):
    return time_machine.travel(datetime.datetime(2026, 3, day, hour, tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def overdue_item(reporter, agent, resolver, network_category, manager):
    incident = resolved_incident(reporter=reporter, category=network_category, desk=agent, resolver=resolver)
    review = services.create_required_review(incident.pk)
    return ActionItemFactory(review=review, owner=resolver, description="Alert on certificate expiry",
                             due_date=datetime.date(2026, 3, 10))


def run_sweep() -> None:
    tasks.remind_overdue_action_items.delay()


def test_running_the_beat_task_three_times_in_a_day_sends_one_reminder(overdue_item, mailoutbox):
    with on(11, 8):
        run_sweep()
    with on(11, 12):
        run_sweep()
    with on(11, 17):
        run_sweep()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["nick@example.com"]
    assert mail.subject.startswith(f"[{overdue_item.review.reference}] Overdue action: Alert on certificate expiry")
    assert "1 day ago" in mail.body


def test_the_next_day_brings_another_reminder(overdue_item, mailoutbox):
    with on(11):
        run_sweep()
    with on(12):
        run_sweep()
        run_sweep()
    assert [m.to for m in mailoutbox] == [["nick@example.com"], ["nick@example.com"]]


def test_seven_days_overdue_escalates_to_the_incident_manager_once(overdue_item, mailoutbox):
    with on(16):
        run_sweep()
    assert [m.to for m in mailoutbox] == [["nick@example.com"]], "6 days overdue: a reminder only"
    mailoutbox.clear()

    with on(17):
        run_sweep()
        run_sweep()
    assert sorted(m.to[0] for m in mailoutbox) == ["maria@example.com", "nick@example.com"]
    escalation = next(m for m in mailoutbox if m.to == ["maria@example.com"])
    assert "Escalated: overdue action" in escalation.subject
    assert "7 days overdue" in escalation.body
    mailoutbox.clear()

    with on(18):
        run_sweep()
    assert [m.to for m in mailoutbox] == [["nick@example.com"]], "the escalation is not repeated"
    assert Reminder.objects.filter(action_item=overdue_item, kind=ReminderKind.ESCALATION).count() == 1


def test_items_not_yet_overdue_or_finished_are_left_alone(overdue_item, manager, mailoutbox):
    ActionItemFactory(review=overdue_item.review, owner=manager, due_date=datetime.date(2026, 3, 11))
    services.action_item_transition(item=overdue_item, user=manager, name="complete")
    with on(11):
        run_sweep()
    assert mailoutbox == []


def test_a_failed_send_is_retried_by_the_next_run_that_day(overdue_item, mailoutbox, monkeypatch):
    real_send = reminders.send_mail

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("relay went away")

    monkeypatch.setattr(reminders, "send_mail", refuse)
    with on(11, 8):
        assert reminders.send_overdue_reminders() == 0
    assert Reminder.objects.get().sent_at is None

    monkeypatch.setattr(reminders, "send_mail", real_send)
    with on(11, 9):
        assert reminders.send_overdue_reminders() == 1
        assert reminders.send_overdue_reminders() == 0
    assert len(mailoutbox) == 1


def test_an_owner_without_an_email_address_is_recorded_not_retried(overdue_item, mailoutbox):
    overdue_item.owner.email = ""
    overdue_item.owner.save()
    with on(11):
        run_sweep()
        run_sweep()
    assert mailoutbox == []
    assert Reminder.objects.get().error == "No e-mail address to send to."
