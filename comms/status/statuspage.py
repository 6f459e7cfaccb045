"""The snapshot in the shape of Atlassian Statuspage's public API, v2 (`/api/v2/summary.json` and
`/api/v2/status.json`), which status aggregators and monitoring tools already read.

Ids are strings, as there: a component is "component-<pk>", a group "group-<pk>" (a group is a
component with `group: true` and its members' ids, theirs carry its `group_id`), an incident its
reference, an update its number. No scheduled maintenance is kept here: that list is always empty.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from .selectors import PublicComponent, PublicGroup, PublicIncident, Snapshot

PAGE_ID = "itsm-status"
PAGE_NAME = "Service status"


def when(moment: datetime | None) -> str | None:
    return timezone.localtime(moment, UTC).isoformat(timespec="milliseconds") if moment else None


def page(snapshot: Snapshot, url: str) -> dict:
    return {"id": PAGE_ID, "name": PAGE_NAME, "url": url, "time_zone": settings.TIME_ZONE,
            "updated_at": when(snapshot.updated_at)}


def status(snapshot: Snapshot) -> dict:
    return {"indicator": snapshot.indicator, "description": snapshot.description}


def _component(component: PublicComponent) -> dict:
    return {
        "id": f"component-{component.id}", "name": component.name, "status": component.status,
        "created_at": when(component.created_at), "updated_at": when(component.updated_at),
        "position": component.position, "description": component.description or None,
        "showcase": True, "start_date": None,
        "group_id": f"group-{component.group_id}" if component.group_id else None,
        "page_id": PAGE_ID, "group": False, "only_show_if_degraded": False,
    }


def _group(group: PublicGroup, position: int) -> dict:
    first = group.components[0]
    return {
        "id": f"group-{group.id}", "name": group.name, "status": group.status,
        "created_at": when(min(c.created_at for c in group.components)),
        "updated_at": when(max(c.updated_at for c in group.components)),
        "position": first.group_position or position, "description": None, "showcase": False, "start_date": None,
        "group_id": None, "page_id": PAGE_ID, "group": True, "only_show_if_degraded": False,
        "components": [f"component-{c.id}" for c in group.components],
    }


def components(snapshot: Snapshot) -> list[dict]:
    shaped = []
    for position, group in enumerate(snapshot.groups, start=1):
        if group.id is not None:
            shaped.append(_group(group, position))
        shaped.extend(_component(c) for c in group.components)
    return shaped


def incident(item: PublicIncident, snapshot: Snapshot, shortlink: str) -> dict:
    affected = [c for c in snapshot.components if item.service_id and c.service_id == item.service_id]
    return {
        "id": item.reference, "name": item.name, "status": item.status, "impact": item.impact,
        "created_at": when(item.created_at), "updated_at": when(item.updated_at),
        "monitoring_at": None, "resolved_at": when(item.resolved_at), "started_at": when(item.created_at),
        "shortlink": shortlink, "page_id": PAGE_ID,
        "incident_updates": [{
            "id": str(u.id), "status": u.status, "body": u.body, "incident_id": item.reference,
            "created_at": when(u.created_at), "updated_at": when(u.created_at), "display_at": when(u.created_at),
            "affected_components": None,
        } for u in item.updates],
        "components": [_component(c) for c in affected],
    }


def summary(snapshot: Snapshot, url: str, shortlink) -> dict:
    """`shortlink(incident)` is the absolute address of an incident on the page."""
    return {
        "page": page(snapshot, url),
        "components": components(snapshot),
        "incidents": [incident(i, snapshot, shortlink(i)) for i in snapshot.ongoing],
        "scheduled_maintenances": [],
        "status": status(snapshot),
    }
