"""Incident managers see, in the admin, every e-mail an incident owes: sent, not sent yet, or
failed, so that a message the relay gave up on is found by a person."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents.models import Notification

from .factories import make_incident

LIST = reverse("admin:incidents_notification_changelist")


def test_the_unsent_filter_lists_what_is_still_owed(client, manager, reporter, mailoutbox):
    stuck = make_incident(reporter=reporter, summary="Acknowledgement never left")
    Notification.objects.filter(event__incident=stuck).update(created_at=timezone.now() - timedelta(hours=30))
    sent = make_incident(reporter=reporter, summary="Acknowledgement went out")
    Notification.objects.filter(event__incident=sent).update(sent_at=timezone.now())
    client.force_login(manager)
    page = client.get(LIST, {"delivery": "unsent"}).content.decode()
    assert stuck.reference in page and sent.reference not in page
    assert reporter.email in page and "Opened" in page


def test_a_desk_agent_has_no_message_list(client, agent):
    client.force_login(agent)
    assert client.get(LIST).status_code == 403


def test_the_list_reads_the_same_number_of_queries_for_1_and_50_messages(client, manager, reporter):
    client.force_login(manager)
    make_incident(reporter=reporter, summary="The first")
    client.get(LIST)  # warm the per-process caches

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        return len(queries.captured_queries)

    one = count()
    for n in range(49):
        make_incident(reporter=reporter, summary=f"Printer {n} offline")
    assert Notification.objects.count() == 50
    assert count() == one
