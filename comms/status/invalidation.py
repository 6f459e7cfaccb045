"""When the status page's snapshot is stale, and building it again for the banner.

The snapshot's cache key carries a version; bumping it makes every surface build a new one on its
next read (the old one expires on its own). It is bumped after commit, so that a reader never
caches what a rolled-back change wrote, and only for a change that touches the page: an update to
the status page, a service, a component or its override, a follower, and an incident that is on
the page, or is now one that belongs there (major and not confidential), or is the child of one.
Deciding that reads the cached snapshot and the saved row, never the database: these receivers
run on every incident save.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

from . import selectors

REFRESHING_KEY = "comms:status:refreshing:{version}"


def bump() -> None:
    """Make the snapshot stale now (or, inside a transaction, once it commits), and have a worker
    build the new one, so that the banner is back on the next portal page."""
    transaction.on_commit(_stale)


def _stale() -> None:
    _bump()
    _refresh()


def _bump() -> None:
    selectors.version()  # the key exists
    try:
        cache.incr(selectors.VERSION_KEY)
    except ValueError:  # evicted between the two calls
        cache.set(selectors.VERSION_KEY, 2, None)


def _refresh() -> None:
    from core import outbox

    from .tasks import refresh_task

    cache.add(REFRESHING_KEY.format(version=selectors.version()), True, 30)
    outbox.enqueue(refresh_task)  # a broker that is down: the next page that reads asks again


def _on_page(*incident_ids: int | None) -> bool:
    current = selectors.cached()
    return current is not None and any(pk in current.incident_ids for pk in incident_ids if pk)


def incident_saved(sender, instance, **kwargs) -> None:
    if (instance.is_major and not instance.confidential and not instance.security) or _on_page(instance.pk, instance.parent_id):
        bump()


def incident_event(sender, incident_id: int, kind: str, **kwargs) -> None:
    """After commit, for every timeline event: the ones written by a bulk update that saved no row."""
    from incidents.models import EventKind

    if kind in (EventKind.MAJOR, EventKind.LINK) or _on_page(incident_id):
        _stale()


def update_saved(sender, instance, **kwargs) -> None:
    if instance.to_status_page:
        bump()


def follower_changed(sender, instance, **kwargs) -> None:
    if _on_page(instance.incident_id):
        bump()


def page_changed(sender, **kwargs) -> None:
    bump()


def refresh_soon() -> None:
    """Build the snapshot in a task, once however many pages ask (the banner never builds it in the
    request: it is on every portal page, whose query counts stay what their own work costs)."""
    if cache.add(REFRESHING_KEY.format(version=selectors.version()), True, 30):
        from core import outbox

        from .tasks import refresh_task

        outbox.enqueue_on_commit(refresh_task)


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from incidents.models import Incident, Service
    from incidents.signals import event_recorded

    from ..models import Stakeholder, StatusComponent, StatusGroup, Update

    post_save.connect(incident_saved, sender=Incident, dispatch_uid="comms-status-incident")
    event_recorded.connect(incident_event, dispatch_uid="comms-status-event")
    for model, receiver in ((Update, update_saved), (Stakeholder, follower_changed)):
        post_save.connect(receiver, sender=model, dispatch_uid=f"comms-status-save-{model.__name__}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"comms-status-delete-{model.__name__}")
    for model in (Service, StatusComponent, StatusGroup):
        post_save.connect(page_changed, sender=model, dispatch_uid=f"comms-status-save-{model.__name__}")
        post_delete.connect(page_changed, sender=model, dispatch_uid=f"comms-status-delete-{model.__name__}")
