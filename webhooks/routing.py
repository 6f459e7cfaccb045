"""The fan-out: which endpoints are owed a message about which of the events just written.

`owe_deliveries` is registered with `incidents.events.register_owed`, so it runs inside the
transaction of every event, whoever wrote it: one from a service (`record`) or thousands from an
SLA sweep batch (`record_rows`). A delivery row per (event, endpoint) is written with the event,
so a message is owed exactly when the event commits (`core.outbox`), and its sending is queued
after commit. The cost is the same few statements for one event or five thousand: the active
endpoints, the incidents' visibility columns, each owner's roles and teams, and one bulk insert.

An endpoint hears about an event when it subscribed to its kind and its owner could see the
incident (`incidents.roles.can_view`, the one read rule): a confidential incident reaches only the
endpoints of people allowed to read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from core import bulk
from incidents.models import Incident
from incidents.roles import can_view

from .delivery import queue_on_commit
from .models import Delivery, DeliveryState, Endpoint


def owe_deliveries(rows: Sequence[tuple[int, int, str]]) -> list[int]:
    """Write the deliveries owed for these (event id, incident id, kind) rows; queue them after
    commit. Returns the new deliveries' ids."""
    endpoints = list(Endpoint.objects.filter(active=True, owner__is_active=True).select_related("owner"))
    wanted = []
    for event_id, incident_id, kind in rows:
        subscribed = [endpoint for endpoint in endpoints if endpoint.wants(kind)]
        if subscribed:
            wanted.append((event_id, incident_id, subscribed))
    if not wanted:
        return []
    # One user object per owner, so that their roles and teams are read once for the whole batch.
    owners: dict[int, object] = {}
    for endpoint in endpoints:
        endpoint.owner = owners.setdefault(endpoint.owner_id, endpoint.owner)
    incidents = Incident.objects.only("pk", "confidential", "team_id", "reporter_id").in_bulk(
        {incident_id for _, incident_id, _ in wanted})
    now = timezone.now()
    give_up_at = now + timedelta(hours=settings.ITSM_WEBHOOK_GIVE_UP_HOURS)
    visible: dict[tuple[int, int], bool] = {}
    deliveries = []
    for event_id, incident_id, subscribed in wanted:
        incident = incidents.get(incident_id)
        if incident is None:
            continue
        for endpoint in subscribed:
            key = (endpoint.owner_id, incident_id)
            if key not in visible:
                visible[key] = can_view(endpoint.owner, incident)
            if visible[key]:
                deliveries.append({"endpoint_id": endpoint.pk, "event_id": event_id, "state": DeliveryState.PENDING,
                                   "created_at": now, "next_attempt_at": now, "queued_at": now,
                                   "give_up_at": give_up_at})
    ids = bulk.insert_rows(Delivery, deliveries, returning=True)
    queue_on_commit(ids)
    return ids
