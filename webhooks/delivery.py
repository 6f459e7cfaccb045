"""Sending a delivery: claim it, POST it signed, record what came of it, and plan the next attempt.

One attempt is three steps, and the POST happens outside any transaction:

1. `claim`: in a short transaction, lock the row (`select_for_update(skip_locked=True)`), check it is
   pending, due and not being sent, and that its owner may still be sent the event (asked again at
   every attempt, `audience.may_receive`; if not, it is marked failed, unsent), build its body if
   this is the first attempt, and mark it claimed until `LEASE` from now. A duplicated or retried
   task finds the row locked or claimed and sends nothing. The claim is committed before the POST:
   a receiver that takes its read timeout to answer must not hold a row lock (nor, on SQLite, the
   database's write lock) for that long.
2. `post`: the signed POST (urllib3, connect and read timeouts from the settings, no redirects) to
   the address `guard` checked.
3. `record`: the attempt's row, and the delivery's outcome: delivered, or the next attempt after an
   exponential backoff, or failed once that would fall after `give_up_at`. Each failed attempt counts
   against the endpoint, which is disabled after ITSM_WEBHOOK_DISABLE_AFTER_FAILURES in a row.

A worker killed during the POST leaves the claim to expire; the retry sweep (`retries`, beat) then
sends again, with the same `webhook-id`, so that a receiver can tell the repeat.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import urllib3
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core import outbox
from core.retry import DATABASE_TASK
from incidents.models import IncidentEvent

from . import guard, payloads, signing
from .audience import may_receive
from .models import Attempt, Delivery, DeliveryState, Endpoint
from .notices import tell_owner_task

logger = logging.getLogger(__name__)

# An attempt ends within the task's hard time limit, so a claim older than this belongs to a
# worker that died: the row is due again. Settings keep connect + read timeouts under the soft limit.
DELIVER_TASK = {**DATABASE_TASK, "max_retries": 3, "retry_backoff_max": 60, "soft_time_limit": 60, "time_limit": 75}
LEASE = timedelta(seconds=DELIVER_TASK["time_limit"] + 45)
USER_AGENT = "itsm-portal-webhooks/1"
EXCERPT = 500  # characters of the receiver's answer kept with each attempt


@dataclass(frozen=True)
class Outcome:
    response_code: int | None = None
    latency_ms: int | None = None
    error: str = ""
    excerpt: str = ""

    @property
    def ok(self) -> bool:
        return self.response_code is not None and 200 <= self.response_code < 300


def backoff(attempt: int) -> timedelta:
    """The wait after failed attempt number `attempt` (1, 2, ...): the base, doubled each time, capped."""
    seconds = settings.ITSM_WEBHOOK_RETRY_BASE_SECONDS * 2 ** min(attempt - 1, 30)
    return timedelta(seconds=min(seconds, settings.ITSM_WEBHOOK_RETRY_MAX_SECONDS))


# --- 1. claim -----------------------------------------------------------------------------------
def claim(delivery_id: int, now: datetime) -> Delivery | None:
    """The delivery, claimed for one attempt now; None when there is nothing to send (sent, failed,
    not due, being sent by another worker, or its endpoint inactive), and None, the delivery marked
    failed, when its owner may no longer be sent the event."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint__owner")
            .filter(pk=delivery_id, state=DeliveryState.PENDING, next_attempt_at__lte=now, endpoint__active=True)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
            .first()
        )
        if delivery is None:
            return None
        owner = delivery.endpoint.owner
        # Routed when the event was written; since then the owner may have left, lost a role, or
        # the incident turned confidential. Asked again before every attempt, a retry a day later
        # and a redelivery from the admin alike: what the owner may no longer see is not sent.
        if not owner.is_active:
            return _not_sent(delivery, "Not sent: the endpoint's owner account is deactivated.")
        event = IncidentEvent.objects.select_related("incident__team", "actor").get(pk=delivery.event_id)
        if not may_receive(owner, event.incident, public=event.public):
            return _not_sent(delivery, "Not sent: the endpoint's owner may no longer see this incident.")
        if not delivery.payload:
            delivery.payload = payloads.build(delivery.endpoint.payload_format, event)
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.claimed_until = now + LEASE
        delivery.queued_at = None
        delivery.save(update_fields=["payload", "attempts", "last_attempt_at", "claimed_until", "queued_at"])
    return delivery


def _not_sent(delivery: Delivery, reason: str) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.FAILED, next_attempt_at=None,
                                                   claimed_until=None, queued_at=None, error=reason)


# --- 2. post ------------------------------------------------------------------------------------
def _pool(target: guard.Target, timeout: urllib3.Timeout) -> urllib3.HTTPConnectionPool:
    if target.scheme == "https":
        # Connect to the checked address, and verify the certificate of the name in the URL.
        return urllib3.HTTPSConnectionPool(target.address, target.port, timeout=timeout, retries=False, maxsize=1,
                                           server_hostname=target.host, assert_hostname=target.host,
                                           cert_reqs="CERT_REQUIRED")
    return urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout, retries=False, maxsize=1)


def post(delivery: Delivery, now: datetime) -> Outcome:
    """One signed POST of the delivery's body. Never raises for what the far end does."""
    endpoint = delivery.endpoint
    try:
        target = guard.resolve(endpoint.url)
    except guard.Refused as refused:
        return Outcome(error=f"Refused: {refused}")
    except OSError as error:
        return Outcome(error=f"Could not resolve the host: {error}")
    connect, read = settings.ITSM_WEBHOOK_CONNECT_TIMEOUT_SECONDS, settings.ITSM_WEBHOOK_READ_TIMEOUT_SECONDS
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signing.headers(message_id=delivery.message_id, body=delivery.payload,
                          signing_secrets=endpoint.signing_secrets(now), at=now),
    }
    pool = _pool(target, urllib3.Timeout(connect=connect, read=read, total=connect + read))
    started = time.monotonic()

    def elapsed() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        response = pool.urlopen("POST", target.path, body=delivery.payload.encode(), headers=headers,
                                retries=False, redirect=False, assert_same_host=False, preload_content=False)
        try:
            excerpt = response.read(EXCERPT * 4, decode_content=False).decode("utf-8", "replace")[:EXCERPT]
        except urllib3.exceptions.HTTPError:
            excerpt = ""  # the status is what counts; an answer cut short does not undo it
        finally:
            response.release_conn()
        latency = elapsed()
        if 200 <= response.status < 300:
            return Outcome(response_code=response.status, latency_ms=latency, excerpt=excerpt)
        what = "a redirect, which is not followed" if 300 <= response.status < 400 else "not a success"
        return Outcome(response_code=response.status, latency_ms=latency, excerpt=excerpt,
                       error=f"HTTP {response.status}: {what}.")
    except urllib3.exceptions.ConnectTimeoutError:
        return Outcome(latency_ms=elapsed(), error=f"Timed out connecting (after {connect} s).")
    except (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.TimeoutError):
        return Outcome(latency_ms=elapsed(), error=f"Timed out waiting for the response (after {read} s).")
    except urllib3.exceptions.HTTPError as error:
        return Outcome(latency_ms=elapsed(), error=f"Could not deliver: {error}")
    except SoftTimeLimitExceeded:
        return Outcome(latency_ms=elapsed(), error="The attempt ran past the task's time limit.")
    finally:
        pool.close()


# --- 3. record ----------------------------------------------------------------------------------
def record(delivery: Delivery, outcome: Outcome, now: datetime) -> None:
    """Write the attempt and what follows from it. A late result (the claim had expired and the row
    moved on) is kept in the attempt log only."""
    endpoint_id = delivery.endpoint_id
    ours = Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.PENDING, attempts=delivery.attempts)
    fields = {"response_code": outcome.response_code, "latency_ms": outcome.latency_ms, "error": outcome.error,
              "claimed_until": None}
    with transaction.atomic():
        Attempt.objects.create(delivery=delivery, number=delivery.attempts, at=now, response_code=outcome.response_code,
                               latency_ms=outcome.latency_ms, error=outcome.error, response_excerpt=outcome.excerpt)
        if outcome.ok:
            if ours.update(state=DeliveryState.DELIVERED, delivered_at=timezone.now(), next_attempt_at=None, **fields):
                Endpoint.objects.filter(pk=endpoint_id, consecutive_failures__gt=0).update(consecutive_failures=0)
            return
        next_at = now + backoff(delivery.attempts)
        if next_at >= delivery.give_up_at:
            given_up = f"{outcome.error} Gave up after {delivery.attempts} attempts.".strip()
            recorded = ours.update(state=DeliveryState.FAILED, next_attempt_at=None, **{**fields, "error": given_up})
        else:
            recorded = ours.update(next_attempt_at=next_at, **fields)
        if recorded:
            Endpoint.objects.filter(pk=endpoint_id).update(consecutive_failures=F("consecutive_failures") + 1)
            disable_if_failing(endpoint_id, outcome.error, now)


def disable_if_failing(endpoint_id: int, last_error: str, now: datetime) -> bool:
    """Disable the endpoint once its failures in a row reach the setting, and owe its owner an
    e-mail (the empty `disabled_notice_sent_at`, sent after commit). True if this call disabled it."""
    limit = settings.ITSM_WEBHOOK_DISABLE_AFTER_FAILURES
    reason = f"Disabled after {limit} failed attempts in a row; the last: {last_error}"[:300]
    disabled = Endpoint.objects.filter(pk=endpoint_id, active=True, consecutive_failures__gte=limit).update(
        active=False, disabled_at=now, disabled_reason=reason, disabled_notice_sent_at=None)
    if disabled:
        logger.warning("Webhook endpoint %s disabled: %s", endpoint_id, reason)
        outbox.enqueue_on_commit(tell_owner_task, endpoint_id)
    return bool(disabled)


def attempt(delivery_id: int) -> bool:
    """Claim, POST and record one attempt of the delivery. True if it was delivered by this call."""
    now = timezone.now()
    delivery = claim(delivery_id, now)
    if delivery is None:
        return False
    outcome = post(delivery, now)
    record(delivery, outcome, now)
    if not outcome.ok:
        logger.info("Webhook delivery %s attempt %s failed: %s", delivery_id, delivery.attempts, outcome.error)
    return outcome.ok


# --- queueing: after commit, and by the retry sweep and the relay (`retries`) ---------------------
def queue(delivery_ids: Iterable[int]) -> int:
    """Queue a task per delivery; stop at the broker's first refusal (it is down: every other
    publish would fail too, each after its retry). What is left is found again by the retry sweep
    or the relay. Returns how many were queued."""
    queued = 0
    for delivery_id in delivery_ids:
        if not outbox.enqueue(deliver_task, delivery_id):
            break
        queued += 1
    return queued


def queue_on_commit(delivery_ids: list[int]) -> None:
    if delivery_ids:
        transaction.on_commit(partial(queue, delivery_ids))


@shared_task(name="webhooks.tasks.deliver", **DELIVER_TASK)
def deliver_task(delivery_id: int) -> bool:
    return attempt(delivery_id)
