"""A message owed is a row: write it once, claim it under a lock, send it, mark it sent.

Every message the product owes (an e-mail about an event, an SLA notice, a page, a reminder) is a
row under a unique constraint before anything is sent. A sender claims the unsent rows with a row
lock in a transaction, sends, and marks them sent in that same transaction. So a retried or
duplicated task, or two workers at once, send nothing twice; a send that fails leaves the rows
unsent for the next attempt; a worker killed mid-send rolls the claim back.

The row is written in the transaction of the change that owes it. After commit a task is queued
to send it (`enqueue_on_commit`); a broker that is down only logs a warning there, and the relay
(`relay`, run by beat every minute) queues again whatever is still unsent a minute later. So a
Redis outage or a killed worker delays a message; it never loses it, and never sends it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from celery import Task
from django.conf import settings
from django.db import DatabaseError, IntegrityError, models, transaction
from django.utils import timezone
from kombu.exceptions import KombuError

logger = logging.getLogger(__name__)


def owe(model: type[models.Model], *, defaults: dict[str, Any] | None = None, **key: Any) -> bool:
    """Write the row that says this message is owed, unless it exists. True if this call wrote it.

    In a savepoint of its own: losing the race to another worker is not an error of the caller's.
    """
    try:
        with transaction.atomic():
            _, created = model._default_manager.get_or_create(defaults=defaults or {}, **key)
    except IntegrityError:
        return False  # another worker wrote it first (or, with a wider constraint, it was owed before)
    return created


def send_owed(
    queryset: models.QuerySet,
    send: Callable[[list], Iterable[models.Model]],
    *,
    sent_field: str = "sent_at",
    busy: type[Exception] | None = None,
) -> int:
    """Claim the unsent rows of `queryset`, call `send(rows)`, and mark what it sent. Returns how many.

    `send` returns the rows it sent (it may leave some, marking them itself: no address, say).
    Rows another worker holds are skipped, as being sent right now; with `busy`, the claim does not
    skip them but raises `busy` instead, for a sender that must not assume the other worker will
    finish (it may have died holding the lock, and the task should retry).
    An exception from `send` rolls the claim back: nothing is marked, the next attempt sends.
    """
    model = queryset.model
    with transaction.atomic():
        unsent = queryset.filter(**{f"{sent_field}__isnull": True})
        try:
            if busy is None:
                rows = list(unsent.select_for_update(skip_locked=True, of=("self",)))
            else:
                rows = list(unsent.select_for_update(nowait=True, of=("self",)))
        except DatabaseError as exc:
            if busy is None:
                raise
            raise busy(f"{model._meta.verbose_name} rows are locked by another worker") from exc
        if not rows:
            return 0
        done = [row.pk for row in send(rows)]
        if done:
            model._default_manager.filter(pk__in=done).update(**{sent_field: timezone.now()})
    return len(done)


# --- Getting the sender going: after commit, and again by the relay ------------------------------
# Publishing must never hold up or fail the request that owes the message: one quick retry (a
# pooled connection that went stale when the broker restarted), then give up and leave the row to
# the relay. Measured here: a refused connection fails in well under 0.1 s this way, against 6 s
# with redis-py's own reconnect loop (`retry=False`).
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}


def send_each(owed: models.QuerySet, email_of: Callable[[Any], Any]) -> int:
    """Send the unsent e-mails of `owed` (rows with `sent_at`), one claim a row, so that a failure on
    the third address leaves the first two sent. `email_of(row)` builds the row's EmailMessage.
    Returns how many this call sent."""

    def send(rows: list) -> list:
        for row in rows:
            email_of(row).send()
        return rows

    return sum(send_owed(owed.filter(pk=pk), send)
               for pk in owed.filter(sent_at__isnull=True).values_list("pk", flat=True))


def stale_groups(model: type[models.Model], group_field: str, task: Task) -> Callable:
    """A relay finder for rows owed in groups (an update's or a notice's e-mails): `task(group id)`
    for every group with a row still unsent that was written in the window."""

    def finder(written_before: datetime, written_after: datetime, limit: int):
        ids = (model.objects.filter(sent_at__isnull=True, created_at__lt=written_before, created_at__gte=written_after)
               .order_by(group_field).values_list(group_field, flat=True).distinct()[:limit])
        for group_id in ids:
            yield task, (group_id,)

    return finder


def enqueue(task: Task, *args: Any) -> bool:
    """Queue `task(*args)`. False, with a warning logged, when the broker cannot take it: the rows
    the task would send are still owed, and the relay queues it again once the broker is back."""
    try:
        task.apply_async(args, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except KombuError as error:
        logger.warning("Could not queue %s%r, the outbox relay will: %s", task.name, args, error)
        return False
    return True


def enqueue_on_commit(task: Task, *args: Any) -> None:
    """Queue `task(*args)` once the caller's transaction commits (never for a rollback)."""
    transaction.on_commit(partial(enqueue, task, *args))


# The relay: rows still unsent a while after they were written lost their task (the broker was
# down, a worker died holding it). Each app registers, for each kind of row it owes, a function
# that finds such rows and says which task sends them; one beat task runs them all.
Finder = Callable[[datetime, datetime, int], Iterable[tuple[Task, tuple]]]
RELAYS: dict[str, Finder] = {}


def register_relay(name: str, finder: Finder) -> Finder:
    """`finder(written_before, written_after, limit)` yields (task, args) for unsent rows written in
    that window, at most `limit` tasks. Called from an app's `ready()`."""
    RELAYS[name] = finder
    return finder


@dataclass(frozen=True)
class RelayWindow:
    """Rows are relayed once they are `after` old (their own task had its chance), until they are
    `give_up` old (by then a person should look: they stay unsent, and visible, in the admin)."""

    after: timedelta
    give_up: timedelta
    limit: int = 500

    @classmethod
    def from_settings(cls) -> RelayWindow:
        return cls(after=timedelta(seconds=settings.ITSM_OUTBOX_RELAY_AFTER_SECONDS),
                   give_up=timedelta(hours=settings.ITSM_OUTBOX_GIVE_UP_HOURS))


def relay(window: RelayWindow | None = None, *, now: datetime | None = None) -> dict[str, int]:
    """Queue again the task of every owed row that is still unsent. Idempotent: the senders claim
    rows under a lock and skip what is sent, so a task queued twice sends once. Stops at the first
    refusal of the broker (it is still down; the next run tries again). Returns tasks queued per kind."""
    window = window or RelayWindow.from_settings()
    now = now or timezone.now()
    queued: dict[str, int] = {}
    for name, finder in RELAYS.items():
        queued[name] = 0
        for task, args in finder(now - window.after, now - window.give_up, window.limit):
            if not enqueue(task, *args):
                return queued
            queued[name] += 1
    if any(queued.values()):
        logger.info("Outbox relay queued %s", ", ".join(f"{n} {name}" for name, n in queued.items() if n))
    return queued
