"""No webhook is sent inside a web request: a request that records an event writes the deliveries
it owes and queues their task for a worker after commit. Here the tasks are really published (to
an in-memory broker that no worker reads), not run in-process as elsewhere in the tests."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from incidents.models import EventKind, Incident
from webhooks import delivery
from webhooks.models import Delivery, DeliveryState

from .factories import make_endpoint

pytestmark = pytest.mark.django_db


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
    assert "webhooks.tasks.deliver" in broker_without_worker()

    assert delivery.attempt(owed.pk) is True  # what the worker does with it
    assert len(receiver.accepted) == 1
