"""When a delivery is due again, and when it is given up: beat's retry sweep and the outbox relay's
finder, both publishing the `delivery` task for rows that need it.

- The retry sweep (`queue_due`, every 30 s) takes the retries whose backoff has passed and the
  attempts whose worker died (their claim expired), and fails what is still pending past its
  `give_up_at`.
- The relay's finder (`stale`, `core.outbox`) takes first attempts whose task never ran (the broker
  was down at commit, or restarted empty).

Neither publishes again for a row whose task was published moments ago (`queued_at`): in a backlog
the task is waiting its turn, and a copy every run would only lengthen the queue.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from .delivery import LEASE, deliver_task, queue
from .models import Delivery, DeliveryState

# A published task that has not claimed its row after this long is taken for lost.
REQUEUE_AFTER = LEASE


def give_up_overdue(now: datetime) -> int:
    """Fail what is still pending past its `give_up_at` and not being sent (an endpoint left
    disabled, a backlog): it stays in the log, and can be sent again by hand."""
    return (Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now, give_up_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
            .update(state=DeliveryState.FAILED, next_attempt_at=None, claimed_until=None,
                    error="Not delivered before its time was up."))


def _not_recently_queued(now: datetime) -> Q:
    return Q(queued_at__isnull=True) | Q(queued_at__lte=now - REQUEUE_AFTER)


def queue_due(now: datetime | None = None, limit: int = 1000) -> int:
    """Beat's retry sweep: queue the retries that are due, and a new attempt of any attempt whose
    worker died (its claim expired). First attempts that lost their task are the relay's (`stale`).
    Returns how many were queued."""
    now = now or timezone.now()
    give_up_overdue(now)
    due = list(Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now, attempts__gt=0,
                                       endpoint__active=True)
               .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
               .filter(_not_recently_queued(now))
               .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    # Marked before publishing: an eager or very quick worker may claim (and clear it) at once.
    Delivery.objects.filter(pk__in=due).update(queued_at=now)
    queued = queue(due)
    if queued < len(due):  # the broker refused the rest: the next run may try them again
        Delivery.objects.filter(pk__in=due[queued:]).update(queued_at=None)
    return queued


def stale(written_before: datetime, written_after: datetime, limit: int):
    """The relay's finder (`core.outbox.register_relay`): first attempts never made, written in the
    window, whose task has not started since it was published (the broker was down, or lost it).
    They are marked queued as they are handed over; those the broker then refuses wait one
    `REQUEUE_AFTER` longer."""
    now = timezone.now()
    # A first attempt is due when written: `next_attempt_at` (indexed) is its `created_at`.
    rows = list(Delivery.objects.filter(state=DeliveryState.PENDING, attempts=0, endpoint__active=True,
                                        next_attempt_at__lt=written_before, created_at__lt=written_before,
                                        created_at__gte=written_after)
                .filter(_not_recently_queued(now))
                .order_by("created_at").values_list("pk", flat=True)[:limit])
    Delivery.objects.filter(pk__in=rows).update(queued_at=now)
    for delivery_id in rows:
        yield deliver_task, (delivery_id,)
