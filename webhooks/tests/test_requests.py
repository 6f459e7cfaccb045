"""No webhook is sent inside a web request: a request that records an event writes the deliveries
it owes and queues their task for a worker after commit. Here the tasks are really published (to
an in-memory broker that no worker reads), not run in-process as elsewhere in the tests."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from incidents.models import EventKind, Incident
from itsm.celery import app
from itsm.tests.worker_support import publishing_to
from webhooks import delivery
from webhooks.models import Delivery, DeliveryState

from .factories import make_endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_without_worker():
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with publishing_to("memory://"):
            yield
    finally:
        app.conf.task_always_eager = eager


def queued_task_names() -> list[str]:
    names = []
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue(app.conf.task_default_queue)
        while True:
            try:
                message = queue.get(timeout=0.2)
            except queue.Empty:
                break
            names.append(message.headers["task"])
            message.ack()
        queue.close()
    return names


def test_a_portal_report_makes_no_http_call_during_the_request_and_leaves_the_delivery_to_a_worker(
    client, reporter, manager, receiver, broker_without_worker, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(manager, receiver, events=[EventKind.CREATED])
    client.force_login(reporter)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:report"), {
            "summary": "Cannot open the payroll app", "description": "A blank page after sign-in.",
            "category": "", "service": "", "people_affected": "me", "can_keep_working": "blocked",
            "submission": str(uuid.uuid4()),
        })
    assert response.status_code == 302
    assert receiver.received == []
    owed = Delivery.objects.get(endpoint=endpoint, event__incident=Incident.objects.get())
    assert owed.state == DeliveryState.PENDING and owed.attempts == 0
    assert "webhooks.tasks.deliver" in queued_task_names()

    assert delivery.attempt(owed.pk) is True  # what the worker does with it
    assert len(receiver.accepted) == 1
