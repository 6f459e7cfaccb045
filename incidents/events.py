"""The one writer of `IncidentEvent`, the incident's timeline.

Every part of the product that puts something on the timeline calls `record` (one event, the
services' way) or `record_rows` (thousands of plain rows, the SLA sweep's way). Both write in the
caller's transaction and, after it commits, send `signals.event_recorded` once for every event, so
that whoever listens (webhooks, communications) hears about all of them the same way, and about
none that was rolled back. `notify=True` also writes, in the same transaction, a row for every
e-mail the event owes (`notifications.owe`), and queues their sending after commit.

Other apps that owe a message for every event (outbound webhooks) cannot wait for the signal: a
message owed is a row of the same transaction (`core.outbox`). They `register_owed` a callback,
which both writers call, inside the transaction, with the rows they wrote; it must write in bulk.
An exception from it rolls the change back with its event: nothing is recorded that is not owed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction

from core import bulk, outbox

from . import notifications
from .models import IncidentEvent
from .signals import event_recorded

logger = logging.getLogger(__name__)

Written = Sequence[tuple[int, int, str]]  # (event id, incident id, kind) of each event written
OWED: list[Callable[[Written], None]] = []


def register_owed(callback: Callable[[Written], None]) -> Callable[[Written], None]:
    """Call `callback(rows)` in the transaction of every batch of events written (from `ready()`)."""
    if callback not in OWED:
        OWED.append(callback)
    return callback


def _owe(rows: Written) -> None:
    for callback in OWED:
        callback(rows)


def _announce(rows: Written) -> None:
    """One `event_recorded` per (event id, incident id, kind). A listener that fails is logged and
    does not stop the others: the change it hears about has committed already."""
    for event_id, incident_id, kind in rows:
        for receiver, error in event_recorded.send_robust(
            sender=IncidentEvent, event_id=event_id, incident_id=incident_id, kind=kind,
        ):
            if isinstance(error, Exception):
                logger.error("event_recorded receiver %r failed for event %s", receiver, event_id, exc_info=error)


def record(incident, *, kind: str, actor=None, notify: bool = True, **fields: Any) -> IncidentEvent:
    """Put one event on the incident's timeline (in the caller's transaction)."""
    event = IncidentEvent.objects.create(incident=incident, kind=kind, actor=actor, **fields)
    if notify and notifications.owe(event):
        outbox.enqueue_on_commit(notifications.notify_event, event.pk)
    row = (event.pk, event.incident_id, kind)
    _owe([row])
    transaction.on_commit(lambda: _announce([row]))
    return event


def record_rows(rows: Sequence[dict[str, Any]]) -> list[int]:
    """Write many events from plain rows (`incident_id`, `kind`, ... by attname), for the sweep's
    batches. Returns their ids in order. They owe no per-event e-mail: the sweep writes the
    notification rows it owes itself."""
    ids = bulk.insert_rows(IncidentEvent, rows, returning=True)
    written = [(pk, row["incident_id"], row["kind"]) for pk, row in zip(ids, rows, strict=True)]
    if written:
        _owe(written)
        transaction.on_commit(lambda: _announce(written))
    return ids


def amend_messages(messages: dict[int, str]) -> None:
    """Rewrite the text of events written moments ago in this transaction: the sweep adds what came
    of an action ("Routed to Network.") once the action is done. No signal: nothing new happened."""
    bulk.update_rows(IncidentEvent, [{"pk": pk, "message": text} for pk, text in messages.items()], ["message"])
