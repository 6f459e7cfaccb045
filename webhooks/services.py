"""Every write to endpoints and deliveries that a person makes (the admin calls these): saving an
endpoint, rotating its secret, sending messages again. The system's own writes are in `routing`
(the fan-out) and `delivery` (attempts, disabling)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import signing
from .delivery import queue_on_commit
from .models import Delivery, DeliveryState, Endpoint

EDITABLE = ["name", "url", "events", "payload_format", "owner", "active"]


def save_endpoint(endpoint: Endpoint, *, by) -> Endpoint:
    """Save an endpoint from its form. Switching it back on clears the failure count and the reason
    it was disabled; its messages still pending are sent again by the retry sweep and the relay (`retries`).
    Switching it off by hand records who did (and owes no e-mail: a person chose it).

    An existing endpoint is saved field by field: the failure count that workers keep is not
    overwritten with the value the form was loaded with."""
    now = timezone.now()
    touched: list[str] = []
    if endpoint.active and endpoint.disabled_at is not None:
        endpoint.consecutive_failures = 0
        endpoint.disabled_at = None
        endpoint.disabled_reason = ""
        endpoint.disabled_notice_sent_at = None
        touched = ["consecutive_failures", "disabled_at", "disabled_reason", "disabled_notice_sent_at"]
    elif not endpoint.active and endpoint.disabled_at is None:
        endpoint.disabled_at = now
        endpoint.disabled_reason = f"Switched off by {by.get_username()}."[:300]
        endpoint.disabled_notice_sent_at = now
        touched = ["disabled_at", "disabled_reason", "disabled_notice_sent_at"]
    if endpoint._state.adding:
        endpoint.save()
    else:
        endpoint.save(update_fields=[*EDITABLE, *touched])
    return endpoint


def rotate_secret(endpoint: Endpoint, *, now=None) -> Endpoint:
    """A new signing secret. The previous one keeps signing alongside it (Standard Webhooks allows
    several signatures) for ITSM_WEBHOOK_SECRET_OVERLAP_HOURS, while the receiver is switched over."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.previous_secret = locked.secret
        locked.previous_secret_until = now + timedelta(hours=settings.ITSM_WEBHOOK_SECRET_OVERLAP_HOURS)
        locked.secret = signing.new_secret()
        locked.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    return locked


@dataclass(frozen=True)
class Redelivered:
    queued: int  # sent again now
    in_flight: int  # being sent at this moment: left alone
    waiting: int  # queued, but their endpoint is switched off: sent once it is on again


def redeliver(deliveries: QuerySet[Delivery]) -> Redelivered:
    """Send these messages again: a new attempt of the same message (same `webhook-id`, same body),
    with a fresh time to give up, queued after commit."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(deliveries.select_for_update(of=("self",)).values_list("pk", "claimed_until", "endpoint__active"))
        in_flight = {pk for pk, claimed_until, _ in rows if claimed_until is not None and claimed_until > now}
        chosen = [pk for pk, _, _ in rows if pk not in in_flight]
        (Delivery.objects.filter(pk__in=chosen)
         .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
         .update(state=DeliveryState.PENDING, next_attempt_at=now, claimed_until=None, delivered_at=None, queued_at=now,
                 give_up_at=now + timedelta(hours=settings.ITSM_WEBHOOK_GIVE_UP_HOURS)))
        active = [pk for pk, _, endpoint_active in rows if endpoint_active and pk not in in_flight]
        queue_on_commit(active)
    return Redelivered(queued=len(active), in_flight=len(in_flight), waiting=len(chosen) - len(active))
