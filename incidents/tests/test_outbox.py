"""The outbox in one process: what a change owes is a row of its transaction; a broker that is
down costs the request nothing; the relay queues again what is still unsent, once."""

from __future__ import annotations

import logging
import socket
import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import outbox
from incidents.models import Incident, Notification
from itsm.celery import app
from itsm.tests.worker_support import publishing_to

from .factories import make_incident


@pytest.fixture
def broker_down():
    """Tasks are really published (not run in-process), to a Redis port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    with publishing_to(f"redis://127.0.0.1:{port}/0"):
        yield
    app.conf.task_always_eager = eager


def report_data() -> dict:
    return {"summary": "Cannot open the payroll app", "description": "A blank page after sign-in.", "category": "",
            "service": "", "people_affected": "me", "can_keep_working": "blocked", "submission": str(uuid.uuid4())}


def test_a_portal_report_with_the_broker_down_is_recorded_and_owes_its_acknowledgement(
    client, reporter, broker_down, caplog, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(reporter)
    with caplog.at_level(logging.WARNING, logger="core.outbox"), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:report"), report_data())
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:incident_detail", args=[incident.reference])
    owed = Notification.objects.get(event__incident=incident)
    assert owed.recipient == reporter.email and owed.sent_at is None
    assert mailoutbox == []
    assert "Could not queue incidents.tasks.notify_event" in caplog.text


def test_the_relay_stops_at_the_first_refusal_of_the_broker_and_raises_nothing(reporter, broker_down):
    for summary in ("VPN drops", "Printer jams", "Wi-Fi slow"):
        make_incident(reporter=reporter, summary=summary)
    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    assert not any(outbox.relay().values())


def owed_ago(incident, **ago) -> Notification:
    row = Notification.objects.get(event__incident=incident)
    Notification.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(**ago))
    return row


def test_the_relay_queues_what_is_past_its_age_once_and_leaves_young_and_given_up_rows(reporter, mailoutbox):
    # Written by incident_create in this (never committed) test transaction: owed, and no task queued.
    young = make_incident(reporter=reporter, summary="Young: its own task may still be on its way")
    lost = make_incident(reporter=reporter, summary="Lost: its task never reached a worker")
    ancient = make_incident(reporter=reporter, summary="Ancient: left to a person")
    owed_ago(young, seconds=10)
    owed_ago(lost, minutes=2)
    owed_ago(ancient, hours=25)

    assert outbox.relay()["incident e-mails"] == 1
    assert [m.subject.split(": ", 1)[1] for m in mailoutbox] == ["Lost: its task never reached a worker"]
    assert outbox.relay()["incident e-mails"] == 0  # beat's next minute: nothing queued, nothing sent again
    assert len(mailoutbox) == 1
    unsent = Notification.objects.filter(sent_at__isnull=True).values_list("event__incident__summary", flat=True)
    assert sorted(unsent) == ["Ancient: left to a person", "Young: its own task may still be on its way"]


def test_a_task_queued_by_the_relay_and_by_the_request_sends_once(reporter, mailoutbox,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        incident = make_incident(reporter=reporter, summary="Both queued it")
    owed_ago(incident, minutes=2)
    outbox.relay()
    for callback in after_commit:
        callback()  # the request's own task, arriving late
    assert len(mailoutbox) == 1


def test_a_rolled_back_change_owes_nothing(reporter, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as after_commit, pytest.raises(RuntimeError), \
            transaction.atomic():
        make_incident(reporter=reporter, summary="Rolled back")
        raise RuntimeError("the request failed after the incident was written")
    assert not Notification.objects.exists() and after_commit == []
