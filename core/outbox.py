"""A message owed is a row: write it once, claim it under a lock, send it, mark it sent.

Every message the product owes (an e-mail about an event, an SLA notice, a page, a reminder) is a
row under a unique constraint before anything is sent. A sender claims the unsent rows with a row
lock in a transaction, sends, and marks them sent in that same transaction. So a retried or
duplicated task, or two workers at once, send nothing twice; a send that fails leaves the rows
unsent for the next attempt; a worker killed mid-send rolls the claim back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import DatabaseError, IntegrityError, models, transaction
from django.utils import timezone


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
