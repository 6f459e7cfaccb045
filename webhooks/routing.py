"""The fan-out: which endpoints are owed a message about which of the events just written.

`owe_deliveries` is registered with `incidents.events.register_owed`, so it runs inside the
transaction of every event, whoever wrote it: one from a service (`record`) or thousands from an
SLA sweep batch (`record_rows`). A delivery row per (event, endpoint) is written with the event,
so a message is owed exactly when the event commits (`core.outbox`), and its sending is queued
after commit. The cost is the same statements for one event or five thousand, and for one endpoint
owner or a hundred: the active endpoints with their owners, the owners' roles, their teams, the
events with their incidents' visibility columns, and one bulk insert.

An endpoint hears about an event when it subscribed to its kind and its owner may read that event
(`audience.may_receive`): staff who read the incident's whole record (`incidents.roles.sees_internal`)
hear every event; whoever else may read the incident (`can_view`: its reporter) hears its public
events only, as they would read them on the portal. Work notes, SLA notices and the rest of the
internal timeline never reach a reporter's endpoint, and a confidential incident reaches only the
endpoints of people allowed to read it; a security incident only those of its security team,
incident managers, named participants and reporter (`incidents.visibility`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from core import bulk
from incidents.models import IncidentEvent
from incidents.roles import preload_roles_and_teams
from incidents.visibility import preload_participants

from .audience import may_receive
from .delivery import queue_on_commit
from .models import Delivery, DeliveryState, Endpoint


def owe_deliveries(rows: Sequence[tuple[int, int, str]]) -> list[int]:
    """Write the deliveries owed for these (event id, incident id, kind) rows; queue them after
    commit. Returns the new deliveries' ids."""
    endpoints = list(Endpoint.objects.filter(active=True, owner__is_active=True).select_related("owner"))
    wanted = []
    for event_id, _, kind in rows:
        subscribed = [endpoint for endpoint in endpoints if endpoint.wants(kind)]
        if subscribed:
            wanted.append((event_id, subscribed))
    if not wanted:
        return []
    # One user object per owner, whose roles and teams are read for all owners at once.
    owners: dict[int, object] = {}
    for endpoint in endpoints:
        endpoint.owner = owners.setdefault(endpoint.owner_id, endpoint.owner)
    preload_roles_and_teams(owners.values())
    # Whether each event is public, and its incident's visibility columns, in one query. (The
    # state too: an incident reads it when it is loaded, `ConcurrentTransitionMixin`.)
    written = {
        event.pk: event for event in
        IncidentEvent.objects.filter(pk__in=[event_id for event_id, _ in wanted]).select_related("incident")
        .only("public", "incident", "incident__confidential", "incident__security", "incident__team_id",
              "incident__reporter_id", "incident__state")
        .order_by()
    }
    # Named participants hear about the incidents they see: read once for the batch.
    preload_participants([event.incident for event in written.values()])
    now = timezone.now()
    give_up_at = now + timedelta(hours=settings.ITSM_WEBHOOK_GIVE_UP_HOURS)
    decided: dict[tuple[int, int, bool], bool] = {}
    deliveries = []
    for event_id, subscribed in wanted:
        event = written.get(event_id)
        if event is None:
            continue
        for endpoint in subscribed:
            key = (endpoint.owner_id, event.incident_id, event.public)
            if key not in decided:
                decided[key] = may_receive(endpoint.owner, event.incident, public=event.public)
            if decided[key]:
                deliveries.append({"endpoint_id": endpoint.pk, "event_id": event_id, "state": DeliveryState.PENDING,
                                   "created_at": now, "next_attempt_at": now, "queued_at": now,
                                   "give_up_at": give_up_at})
    ids = bulk.insert_rows(Delivery, deliveries, returning=True)
    queue_on_commit(ids)
    return ids
