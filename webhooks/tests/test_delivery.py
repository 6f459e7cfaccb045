"""Sending: each message arrives signed, once; a receiver that fails gets it again with the same
webhook-id and bytes until it accepts it, or until its time is up; a receiver that hangs costs one
read timeout; an endpoint that keeps failing is switched off and its owner told. The receiver is a
real HTTP server on 127.0.0.1; the retry sweep is driven step by step under time-machine."""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from standardwebhooks import Webhook

from core import outbox
from incidents import services
from incidents.models import EventKind, Incident
from incidents.tests.factories import make_incident
from webhooks import delivery as sending
from webhooks import guard, retries, signing
from webhooks import services as webhooks
from webhooks.delivery import LEASE, deliver_task
from webhooks.models import Attempt, Delivery, DeliveryState, Endpoint

from .factories import make_endpoint
from .receiver import Receiver

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CREATED = [EventKind.CREATED]


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs, at the end of the block, what a commit would run: the queued tasks
    (eager in these tests, so a task runs where it is queued)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def only_delivery(endpoint) -> Delivery:
    return Delivery.objects.get(endpoint=endpoint)


def test_a_message_arrives_signed_and_the_receiver_verifies_it(receiver, manager, reporter, committed):
    endpoint = make_endpoint(manager, receiver, events=CREATED)
    with committed():
        incident = make_incident(reporter=reporter, summary="Payroll shows a blank page")
    [message] = receiver.wait_for(1)
    assert message.payload["type"] == "incident.created"
    assert message.payload["data"]["incident"]["reference"] == incident.reference
    row = only_delivery(endpoint)
    assert message.message_id == row.message_id
    assert message.headers["content-type"] == "application/json"
    assert row.state == DeliveryState.DELIVERED and row.attempts == 1 and row.response_code == 200
    assert row.latency_ms is not None and row.delivered_at is not None and row.error == ""
    assert list(Attempt.objects.filter(delivery=row).values_list("number", "response_code")) == [(1, 200)]


def test_a_message_with_a_wrong_signature_is_refused_by_the_receiver(receiver, manager, reporter, committed):
    endpoint = make_endpoint(manager, receiver, events=CREATED)
    receiver.secret = signing.new_secret()  # another secret: the receiver cannot verify the messages
    with committed():
        make_incident(reporter=reporter)
    assert [r.status for r in receiver.received] == [401]
    row = only_delivery(endpoint)
    assert row.state == DeliveryState.PENDING and row.response_code == 401 and "HTTP 401" in row.error


def test_a_receiver_that_fails_then_recovers_gets_the_message_exactly_once_after_retries(
    clock, receiver, manager, reporter, committed
):
    endpoint = make_endpoint(manager, receiver, events=CREATED)
    receiver.fail(500, 503)
    with committed():
        make_incident(reporter=reporter)
    row = only_delivery(endpoint)
    assert row.state == DeliveryState.PENDING and row.next_attempt_at == T0 + timedelta(seconds=30)

    clock.shift(timedelta(seconds=29))
    assert retries.queue_due() == 0  # not due yet
    clock.shift(timedelta(seconds=1))
    assert retries.queue_due() == 1  # the second attempt: 503, next one in 60 s
    row.refresh_from_db()
    assert row.attempts == 2 and row.next_attempt_at == T0 + timedelta(seconds=30 + 60)
    clock.shift(timedelta(seconds=60))
    assert retries.queue_due() == 1  # the third: accepted
    for _ in range(3):
        clock.shift(timedelta(hours=1))
        assert retries.queue_due() == 0

    assert [r.status for r in receiver.received] == [500, 503, 200]
    assert len(receiver.accepted) == 1
    assert len({r.message_id for r in receiver.received}) == 1  # the same webhook-id every time
    assert len({r.body for r in receiver.received}) == 1  # and the same bytes
    row.refresh_from_db()
    assert row.state == DeliveryState.DELIVERED and row.attempts == 3
    assert list(row.attempt_log.values_list("response_code", flat=True)) == [500, 503, 200]
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_a_receiver_that_hangs_costs_one_read_timeout_and_the_attempt_is_recorded_as_failed(
    receiver, manager, reporter, settings
):
    settings.ITSM_WEBHOOK_READ_TIMEOUT_SECONDS = 0.5
    endpoint = make_endpoint(manager, receiver, events=CREATED)
    make_incident(reporter=reporter)  # no commit in this test: the delivery waits for its task
    receiver.hang()
    started = time.monotonic()
    assert deliver_task.delay(only_delivery(endpoint).pk).get() is False
    assert time.monotonic() - started < 5
    row = only_delivery(endpoint)
    assert row.state == DeliveryState.PENDING and row.attempts == 1 and row.claimed_until is None
    assert row.error == "Timed out waiting for the response (after 0.5 s)."
    assert row.response_code is None and row.latency_ms >= 500
    assert row.attempt_log.get().error == row.error


def test_a_duplicated_task_sends_the_message_once(receiver, manager, reporter):
    endpoint = make_endpoint(manager, receiver, events=CREATED)
    make_incident(reporter=reporter)
    delivery_id = only_delivery(endpoint).pk
    results = [deliver_task.delay(delivery_id).get() for _ in range(3)]
    assert results == [True, False, False]
    assert len(receiver.received) == 1


def test_a_task_arriving_while_another_worker_is_sending_sends_nothing(receiver, manager, reporter):
    endpoint = make_endpoint(manager, receiver, events=CREATED)
    make_incident(reporter=reporter)
    delivery_id = only_delivery(endpoint).pk
    now = timezone.now()
    claimed = sending.claim(delivery_id, now)  # the first worker, between its claim and its POST
    assert sending.attempt(delivery_id) is False  # the duplicate
    assert receiver.received == []
    sending.record(claimed, sending.post(claimed, now), now)
    assert len(receiver.accepted) == 1 and only_delivery(endpoint).state == DeliveryState.DELIVERED


def test_an_attempt_whose_worker_died_is_sent_again_by_the_retry_sweep_once_its_claim_expires(
    clock, receiver, manager, reporter
):
    endpoint = make_endpoint(manager, receiver, events=CREATED)
    make_incident(reporter=reporter)
    row = only_delivery(endpoint)
    sending.claim(row.pk, timezone.now())  # ... and the worker is killed before it POSTs
    assert retries.queue_due() == 0  # its claim still holds
    clock.shift(LEASE + timedelta(seconds=1))
    assert retries.queue_due() == 1
    row.refresh_from_db()
    assert row.state == DeliveryState.DELIVERED and row.attempts == 2
    assert [r.message_id for r in receiver.accepted] == [row.message_id]


def test_an_endpoint_failing_n_times_in_a_row_is_disabled_and_its_owner_emailed_once(
    clock, receiver, manager, reporter, settings, committed
):
    settings.ITSM_WEBHOOK_DISABLE_AFTER_FAILURES = 3
    endpoint = make_endpoint(manager, receiver, name="Ops chat", events=CREATED)
    receiver.fail(500, 500, 500)
    with committed():
        for summary in ("VPN drops", "Printer jams", "Wi-Fi slow"):
            make_incident(reporter=reporter, summary=summary)
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.consecutive_failures == 3
    assert endpoint.disabled_reason.startswith("Disabled after 3 failed attempts in a row; the last: HTTP 500")
    [notice] = [m for m in mail.outbox if m.subject.startswith("Webhook endpoint disabled")]
    assert notice.to == [manager.email] and notice.subject == "Webhook endpoint disabled: Ops chat"
    assert "Ops chat" in notice.body and f"/admin/webhooks/endpoint/{endpoint.pk}/change/" in notice.body
    assert endpoint.disabled_notice_sent_at is not None

    # Switched off: new events owe it nothing, and its pending retries wait.
    with committed():
        make_incident(reporter=reporter, summary="Disk full")
    assert Delivery.objects.filter(endpoint=endpoint).count() == 3
    clock.shift(timedelta(minutes=5))
    assert retries.queue_due() == 0
    assert outbox.relay()["webhook endpoint notices"] == 0  # told once, not again

    # Back on (the receiver works again): the three messages go out, and the count starts afresh.
    endpoint.active = True
    webhooks.save_endpoint(endpoint, by=manager)
    with committed():
        assert retries.queue_due() == 3
    assert len(receiver.accepted) == 3
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.disabled_reason == "" and endpoint.disabled_at is None


def test_a_message_still_failing_when_its_time_is_up_is_marked_failed(
    clock, receiver, manager, reporter, settings, committed
):
    settings.ITSM_WEBHOOK_GIVE_UP_HOURS = 1
    settings.ITSM_WEBHOOK_DISABLE_AFTER_FAILURES = 1000
    endpoint = make_endpoint(manager, receiver, events=CREATED)
    receiver.fail(*[500] * 100)
    with committed():
        make_incident(reporter=reporter)
    row = only_delivery(endpoint)
    while row.state == DeliveryState.PENDING:
        clock.move_to(row.next_attempt_at)
        retries.queue_due()
        row.refresh_from_db()
    # 30 s, then doubling: attempts at 0, 30, 90, 210, 450, 930, 1890 s; the next would pass the hour.
    assert row.state == DeliveryState.FAILED and row.attempts == 7 and row.next_attempt_at is None
    assert row.error == "HTTP 500: not a success. Gave up after 7 attempts."
    assert timezone.now() - T0 < timedelta(hours=1)
    assert len(receiver.received) == 7


def test_a_pending_message_left_past_its_time_by_a_switched_off_endpoint_is_marked_failed(
    clock, manager, reporter, receiver
):
    endpoint = make_endpoint(manager, receiver, events=CREATED)
    make_incident(reporter=reporter)
    Endpoint.objects.filter(pk=endpoint.pk).update(active=False)
    clock.shift(timedelta(hours=24, seconds=1))
    retries.queue_due()
    row = only_delivery(endpoint)
    assert row.state == DeliveryState.FAILED and row.error == "Not delivered before its time was up."
    assert receiver.received == []


def test_a_first_attempt_whose_task_was_lost_is_queued_by_the_outbox_relay_once(receiver, manager, reporter):
    endpoint = make_endpoint(manager, receiver, events=CREATED)
    make_incident(reporter=reporter)  # never committed here: as if the broker had refused its task
    two_minutes_ago = timezone.now() - LEASE
    Delivery.objects.update(created_at=two_minutes_ago, next_attempt_at=two_minutes_ago, queued_at=two_minutes_ago)
    assert outbox.relay()["webhook deliveries"] == 1
    assert outbox.relay()["webhook deliveries"] == 0
    assert len(receiver.accepted) == 1 and only_delivery(endpoint).state == DeliveryState.DELIVERED


def test_the_guard_refuses_to_send_to_127_0_0_1_when_private_addresses_are_not_allowed(
    receiver, manager, reporter, settings, committed
):
    settings.ITSM_WEBHOOK_ALLOW_PRIVATE = False
    # Saved past the form (which refuses it too): the sending checks again, whatever is stored.
    endpoint = make_endpoint(manager, receiver, events=CREATED)
    with committed():
        make_incident(reporter=reporter)
    assert receiver.received == []
    row = only_delivery(endpoint)
    assert row.state == DeliveryState.PENDING and row.attempts == 1
    assert row.error == "Refused: 127.0.0.1 is a private or local address; webhooks go to public addresses only."


def test_a_host_name_resolving_to_a_private_address_is_refused_too(
    manager, reporter, settings, committed, monkeypatch
):
    settings.ITSM_WEBHOOK_ALLOW_PRIVATE = False
    # The DNS answer an attacker controls: a public-looking name pointing inside the network.
    monkeypatch.setattr(guard.socket, "getaddrinfo",
                        lambda host, port, **kwargs: [(2, 1, 6, "", ("10.0.0.5", port))])
    endpoint = make_endpoint(manager, url="https://hooks.example.com/itsm", events=CREATED)
    with committed():
        make_incident(reporter=reporter)
    assert only_delivery(endpoint).error == ("Refused: hooks.example.com resolves to 10.0.0.5, a private or local "
                                             "address; webhooks go to public addresses only.")


def test_a_redirect_is_not_followed(receiver, manager, reporter, committed):
    endpoint = make_endpoint(manager, receiver, events=CREATED)
    receiver.fail(302)
    with committed():
        make_incident(reporter=reporter)
    row = only_delivery(endpoint)
    assert row.response_code == 302 and row.error == "HTTP 302: a redirect, which is not followed."
    assert len(receiver.received) == 1


def test_after_a_rotation_old_and_new_secrets_both_sign_until_the_overlap_ends(clock, receiver, manager, reporter):
    endpoint = make_endpoint(manager, receiver, events=[EventKind.CREATED, EventKind.COMMENT])
    old = endpoint.secret
    endpoint = webhooks.rotate_secret(endpoint)
    assert endpoint.secret != old and endpoint.secret.startswith("whsec_")
    incident = make_incident(reporter=reporter)
    receiver.secret = old  # a receiver not switched over yet
    assert sending.attempt(only_delivery(endpoint).pk) is True
    [message] = receiver.accepted
    Webhook(endpoint.secret).verify(message.body, message.headers)  # and one that was
    assert len(message.headers["webhook-signature"].split(" ")) == 2

    clock.shift(timedelta(hours=24))
    services.comment_add(incident=incident, author=reporter, body="Any news?", public=True)
    later = Delivery.objects.get(endpoint=endpoint, event__kind=EventKind.COMMENT)
    assert sending.attempt(later.pk) is False  # the old secret no longer signs: refused
    receiver.secret = endpoint.secret
    clock.shift(timedelta(seconds=30))
    assert sending.attempt(later.pk) is True
    assert len(receiver.accepted[-1].headers["webhook-signature"].split(" ")) == 1


def test_an_incident_made_confidential_before_its_first_attempt_is_not_sent_to_who_may_no_longer_see_it(
    receiver, resolver, reporter, network_category
):
    endpoint = make_endpoint(resolver, receiver, events=CREATED)
    incident = make_incident(reporter=reporter, category=network_category)
    Incident.objects.filter(pk=incident.pk).update(confidential=True, team=None)
    assert sending.attempt(only_delivery(endpoint).pk) is False
    row = only_delivery(endpoint)
    assert row.state == DeliveryState.FAILED and "may no longer see" in row.error
    assert receiver.received == []


def test_a_retry_is_not_sent_once_the_incident_turned_confidential(
    clock, receiver, resolver, reporter, network_category, committed
):
    endpoint = make_endpoint(resolver, receiver, events=CREATED)
    receiver.fail(503)
    with committed():
        incident = make_incident(reporter=reporter, category=network_category)
    row = only_delivery(endpoint)
    assert row.state == DeliveryState.PENDING and row.payload  # built, and kept for the retries
    Incident.objects.filter(pk=incident.pk).update(confidential=True, team=None)
    clock.shift(timedelta(seconds=30))
    assert retries.queue_due() == 1  # queued, and the attempt refuses to send it
    row.refresh_from_db()
    assert row.state == DeliveryState.FAILED and row.next_attempt_at is None and row.claimed_until is None
    assert row.error == "Not sent: the endpoint's owner may no longer see this incident."
    assert row.attempts == 1 and [r.status for r in receiver.received] == [503]
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1  # the refusal is not the receiver's failure


def test_a_redelivery_is_not_sent_once_the_owner_lost_their_role(
    receiver, manager, reporter, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(manager, receiver, events=CREATED)
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(reporter=reporter)
    assert len(receiver.accepted) == 1
    manager.groups.clear()  # no longer an incident manager: the incident is not theirs to read
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.redeliver(Delivery.objects.filter(endpoint=endpoint)).queued == 1
    row = only_delivery(endpoint)
    assert row.state == DeliveryState.FAILED and "may no longer see this incident" in row.error
    assert len(receiver.received) == 1 and row.attempts == 1


def test_a_retry_of_a_work_note_is_not_sent_to_a_staff_member_demoted_to_the_incidents_reporter(
    clock, receiver, resolver, network_category, committed
):
    """Staff read an incident's work notes; its reporter reads its public replies only."""
    endpoint = make_endpoint(resolver, receiver, events=[EventKind.COMMENT])
    incident = make_incident(reporter=resolver, category=network_category)
    receiver.fail(503, 503)
    with committed():
        services.comment_add(incident=incident, author=resolver, body="Router rebooted", public=False)
        services.comment_add(incident=incident, author=resolver, body="Fixed, please check", public=True)
    resolver.groups.clear()
    clock.shift(timedelta(seconds=30))
    assert retries.queue_due() == 2
    note, reply = Delivery.objects.filter(endpoint=endpoint).order_by("event_id")
    assert note.state == DeliveryState.FAILED and "may no longer see" in note.error
    assert reply.state == DeliveryState.DELIVERED
    assert [m.payload["data"]["message"] for m in receiver.accepted] == ["Fixed, please check"]


def test_a_retry_waiting_in_the_queue_is_not_queued_again_until_its_task_is_taken_for_lost(
    clock, receiver, manager, reporter, committed, broker_without_worker
):
    endpoint = make_endpoint(manager, receiver, events=CREATED)
    make_incident(reporter=reporter)
    row = only_delivery(endpoint)
    sending.record(sending.claim(row.pk, T0), sending.Outcome(error="Connection refused."), T0)
    clock.shift(timedelta(seconds=30))
    assert retries.queue_due() == 1  # published; no worker takes it (a backlog)
    clock.shift(timedelta(seconds=30))
    assert retries.queue_due() == 0  # the next sweeps leave it waiting
    clock.shift(LEASE)
    assert retries.queue_due() == 1  # long enough: taken for lost, published again
    assert broker_without_worker() == ["webhooks.tasks.deliver"] * 2


@pytest.fixture
def certificate(tmp_path) -> tuple[str, str]:
    """A self-signed certificate for localhost (and 127.0.0.1), made with the openssl tool."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return str(cert), str(key)


@pytest.fixture
def tls_receiver(certificate):
    server = Receiver(tls=certificate)
    yield server
    server.close()


def test_an_https_receiver_is_reached_at_its_checked_address_and_its_certificate_verified_for_its_name(
    tls_receiver, certificate, manager, reporter, monkeypatch
):
    endpoint = make_endpoint(manager, tls_receiver, events=CREATED)
    make_incident(reporter=reporter)
    row = only_delivery(endpoint)
    assert sending.attempt(row.pk) is False  # a certificate nobody vouches for: nothing is sent
    row.refresh_from_db()
    assert "CERTIFICATE_VERIFY_FAILED" in row.error and tls_receiver.received == []

    monkeypatch.setenv("SSL_CERT_FILE", certificate[0])  # now trusted, as a CA the machine knows would be
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert sending.attempt(row.pk) is True
    [message] = tls_receiver.accepted
    assert message.headers["host"] == tls_receiver.url.split("/")[2]  # localhost:<port>, not the address


def test_nothing_more_is_sent_to_the_endpoint_of_an_owner_whose_account_was_deactivated(receiver, manager, reporter):
    endpoint = make_endpoint(manager, receiver, events=CREATED)
    make_incident(reporter=reporter)
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    assert sending.attempt(only_delivery(endpoint).pk) is False
    assert only_delivery(endpoint).error == "Not sent: the endpoint's owner account is deactivated."
    assert receiver.received == []
