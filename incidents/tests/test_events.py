"""The timeline has one writer, and whoever listens hears about every event once, after commit:
from the services, the SLA sweep, the paging chain and an acknowledgement alike, and never about
an event that was rolled back."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from incidents import events, roles, services
from incidents.models import EventKind, IncidentEvent, Page, Rotation, RotationMember
from incidents.oncall import paging
from incidents.signals import event_recorded
from incidents.sla.tests.sla_support import MONDAY_10, only_rules, open_incident, sweep

from .factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    """Every (event id, incident id, kind) that `event_recorded` announced, in order."""
    announced: list[tuple[int, int, str]] = []

    def listener(sender, event_id, incident_id, kind, **kwargs):
        announced.append((event_id, incident_id, kind))

    event_recorded.connect(listener, dispatch_uid="test-heard")
    yield announced
    event_recorded.disconnect(dispatch_uid="test-heard")


@pytest.fixture
def rotation(network_team):
    people = [UserFactory(username=name, role=roles.RESOLVER, team=network_team) for name in ("ann", "ben")]
    rotation = Rotation.objects.create(team=network_team, time_zone="UTC", starts_on=date(2025, 6, 2),
                                       handoff_time=time(9), shift_hours=24, ack_minutes=10)
    for position, person in enumerate(people):
        RotationMember.objects.create(rotation=rotation, user=person, position=position)
    return rotation


def test_every_event_is_announced_once_after_commit_whoever_wrote_it(
    heard, rotation, reporter, resolver, network_category, manager, django_capture_on_commit_callbacks
):
    only_rules("P1/P2 unassigned for 5 minutes", "P1/P2 unassigned for 15 minutes")
    with time_machine.travel(MONDAY_10, tick=False) as traveller, \
            django_capture_on_commit_callbacks(execute=True):
        incident = open_incident(1, reporter=reporter, category=network_category)  # services
        services.comment_add(incident=incident, author=reporter, body="It is still down", public=True)
        traveller.shift(timedelta(minutes=5))
        sweep()  # the sweep's bulk rows: a page
        traveller.shift(timedelta(minutes=11))
        sweep()  # the manager's notice, and the chain passes the unanswered page on
        second = Page.objects.filter(incident=incident).order_by("-step").first()
        paging.acknowledge(second)  # an acknowledgement
    written = list(IncidentEvent.objects.filter(incident=incident).order_by("pk").values_list("pk", "incident_id", "kind"))
    assert sorted(heard) == written
    assert {kind for _, _, kind in written} >= {EventKind.CREATED, EventKind.COMMENT, EventKind.PAGE, EventKind.ESCALATION}
    assert second.step == 1


def test_nothing_is_announced_before_commit_or_for_a_rolled_back_event(heard, reporter, network_category,
                                                                        django_capture_on_commit_callbacks):
    incident = open_incident(3, reporter=reporter, category=network_category)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        events.record(incident, kind=EventKind.CLASSIFICATION, notify=False, message="P3")
    assert heard == [] and len(callbacks) == 1
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.record(incident, kind=EventKind.CLASSIFICATION, notify=False, message="undone")
        raise RuntimeError("the change that owed it failed")
    assert heard == []


def test_a_failing_listener_neither_fails_the_request_nor_stops_the_email(
    reporter, network_category, django_capture_on_commit_callbacks, caplog
):
    def broken(sender, **kwargs):
        raise RuntimeError("a webhook receiver with a bug")

    event_recorded.connect(broken, dispatch_uid="test-broken")
    try:
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            incident = open_incident(3, reporter=reporter, category=network_category)
    finally:
        event_recorded.disconnect(dispatch_uid="test-broken")
    assert [m.to for m in mail.outbox] == [[reporter.email]]
    assert incident.reference in mail.outbox[0].subject
    assert "event_recorded receiver" in caplog.text


@pytest.fixture
def owed():
    """Every batch of rows an in-transaction listener was handed, with whether the event row was
    already there to be read (it must be: the listener writes rows that point at it)."""
    batches: list[list[tuple[int, int, str]]] = []

    def listener(rows):
        batches.append(list(rows))
        assert IncidentEvent.objects.filter(pk__in=[pk for pk, _, _ in rows]).count() == len(rows)

    events.register_owed(listener)
    yield batches
    events.OWED.remove(listener)


def test_what_an_event_owes_is_written_in_its_transaction_by_both_writers(
    owed, reporter, network_category, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        incident = open_incident(3, reporter=reporter, category=network_category)
        ids = events.record_rows([{"incident_id": incident.pk, "kind": EventKind.SLA_WARNING, "message": f"{n}"}
                                  for n in range(3)])
        assert len(owed) == 2  # before any commit
    created = IncidentEvent.objects.get(incident=incident, kind=EventKind.CREATED)
    assert owed == [[(created.pk, incident.pk, EventKind.CREATED)],
                    [(pk, incident.pk, EventKind.SLA_WARNING) for pk in ids]]


def test_a_listener_that_cannot_write_what_is_owed_rolls_the_event_back(reporter, network_category):
    incident = open_incident(3, reporter=reporter, category=network_category)

    def failing(rows):
        raise RuntimeError("could not write the deliveries")

    events.register_owed(failing)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            events.record(incident, kind=EventKind.CLASSIFICATION, notify=False, message="P3")
    finally:
        events.OWED.remove(failing)
    assert not IncidentEvent.objects.filter(incident=incident, kind=EventKind.CLASSIFICATION).exists()
