"""The status page's one read: a snapshot of what the public may know, built with a fixed number of
queries whatever the number of incidents, and kept in the cache until something on it changes
(`invalidation` bumps the version) or it is a few minutes old (the 90-day window moves).

Only major incidents that are not confidential and not drills are read, here and nowhere else: the page, the
feed, both JSON documents and the portal's banner all read this snapshot, so none of them can show
a confidential incident. What an incident says publicly is its summary and the text of the updates
posted to the status page; its description, comments and people are never read.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from incidents.models import EventKind, Incident, IncidentEvent
from incidents.workflow import OPEN_STATES, State

from ..models import ComponentStatus, Stakeholder, StatusComponent, Update
from . import state

log = logging.getLogger(__name__)

HISTORY_DAYS = 90
HISTORY_LIMIT = 200  # past incidents listed; the 90 days of a sane organisation hold far fewer
TTL_SECONDS = 300
VERSION_KEY = "comms:status:version"
# The snapshot is pickled: a release that changes its classes renames the key (v2, ...), so that
# what the previous release cached is never read back into the new classes.
SNAPSHOT_KEY = "comms:status:snapshot:v1:{version}"


@dataclass(frozen=True)
class PublicUpdate:
    id: int
    body: str
    created_at: datetime
    status: str


@dataclass(frozen=True)
class PublicIncident:
    id: int
    reference: str
    name: str
    state: str
    status: str
    impact: str
    priority: int
    service_id: int | None
    service_name: str
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    updates: tuple[PublicUpdate, ...]  # newest first
    affected: int  # its reporter, its followers, the reporters of its child incidents
    affected_user_ids: frozenset[int] = field(repr=False)

    @property
    def ongoing(self) -> bool:
        return state.is_open(self.state)

    @property
    def status_label(self) -> str:
        return state.INCIDENT_STATUS_LABEL[self.status]


@dataclass(frozen=True)
class PublicComponent:
    id: int
    service_id: int
    name: str
    description: str
    status: str
    override_reason: str
    group_id: int | None
    group_name: str
    group_position: int
    position: int
    created_at: datetime
    updated_at: datetime

    @property
    def status_label(self) -> str:
        return ComponentStatus(self.status).label


@dataclass(frozen=True)
class PublicGroup:
    id: int | None
    name: str
    components: tuple[PublicComponent, ...]
    status: str


@dataclass(frozen=True)
class Snapshot:
    generated_at: datetime
    updated_at: datetime
    components: tuple[PublicComponent, ...]
    groups: tuple[PublicGroup, ...]
    ongoing: tuple[PublicIncident, ...]  # the worst first, then the newest
    past: tuple[PublicIncident, ...]  # resolved in the last 90 days, newest first
    indicator: str
    incident_ids: frozenset[int]  # every incident on the page, and so every one whose change matters

    @property
    def description(self) -> str:
        return state.INDICATOR_DESCRIPTION[self.indicator]

    @property
    def incidents(self) -> tuple[PublicIncident, ...]:
        return self.ongoing + self.past


def version() -> int:
    current = cache.get(VERSION_KEY)
    if current is None:
        cache.add(VERSION_KEY, 1, None)
        current = cache.get(VERSION_KEY, 1)
    return current


def cached() -> Snapshot | None:
    """The snapshot in the cache, or None: the portal's banner reads only this (it is on every page)."""
    return cache.get(SNAPSHOT_KEY.format(version=version()))


def snapshot() -> Snapshot:
    """The cached snapshot, built and cached first when there is none."""
    current = version()
    found = cache.get(SNAPSHOT_KEY.format(version=current))
    if found is None:
        found = build()
        cache.set(SNAPSHOT_KEY.format(version=current), found, TTL_SECONDS)
    return found


def public_incidents(now: datetime | None = None):
    """The incidents the public may see: major, not confidential, ongoing or resolved in the window."""
    since = (now or timezone.now()) - timedelta(days=HISTORY_DAYS)
    # A drill (exercise) is never on the page: not its updates, not its services' state.
    return (Incident.objects.filter(is_major=True, confidential=False, exercise=False)
            .filter(security=False)  # a security incident never, even one not (or no longer) confidential
            .filter(Q(state__in=OPEN_STATES) | Q(state__in=(State.RESOLVED, State.CLOSED), resolved_at__gte=since)))


def build(now: datetime | None = None) -> Snapshot:
    """Seven queries at most, whatever the number of services and incidents."""
    now = now or timezone.now()
    fields = ("id", "reference", "summary", "state", "priority", "service__name", "opened_at", "resolved_at",
              "updated_at", "reporter_id")
    shown = public_incidents(now).select_related("service").only(*fields)
    rows = [*shown.filter(state__in=OPEN_STATES).order_by("priority", "-opened_at", "-id"),
            *shown.exclude(state__in=OPEN_STATES).order_by("-resolved_at", "-id")[:HISTORY_LIMIT]]
    ids = [row.pk for row in rows]
    ongoing_ids = [row.pk for row in rows if state.is_open(row.state)]
    updates: dict[int, list[Update]] = {}
    transitions: dict[int, list[tuple[datetime | None, str]]] = {}
    affected: dict[int, set[int]] = {row.pk: {row.reporter_id} for row in rows if row.pk in ongoing_ids}
    if ids:
        for update in (Update.objects.filter(incident_id__in=ids, to_status_page=True)
                       .only("id", "incident_id", "body", "created_at").order_by("-created_at", "-id")):
            updates.setdefault(update.incident_id, []).append(update)
        for incident_id, at, from_state, to_state in (IncidentEvent.objects
                                                      .filter(incident_id__in=ids, kind=EventKind.TRANSITION)
                                                      .order_by("created_at", "pk")
                                                      .values_list("incident_id", "created_at", "from_state",
                                                                   "to_state")):
            changes = transitions.setdefault(incident_id, [(None, from_state)])
            changes.append((at, to_state))
    if ongoing_ids:
        for incident_id, user_id in (Stakeholder.objects.filter(incident_id__in=ongoing_ids, user__isnull=False,
                                                                audience="external")
                                     .values_list("incident_id", "user_id")):
            affected[incident_id].add(user_id)
        for parent_id, user_id in (Incident.objects.filter(parent_id__in=ongoing_ids)
                                   .values_list("parent_id", "reporter_id")):
            affected[parent_id].add(user_id)

    def state_at(row: Incident, at: datetime) -> str:
        """The incident's state when an update was posted: after the last transition before it (the
        first one's starting state before any; its state now if it never moved)."""
        changes = transitions.get(row.pk)
        if not changes:
            return row.state
        index = bisect_right([when for when, _ in changes[1:]], at)
        return changes[index][1]

    incidents = []
    for row in rows:
        said = tuple(PublicUpdate(id=u.pk, body=u.body, created_at=u.created_at,
                                  status=state.incident_status(state_at(row, u.created_at)))
                     for u in updates.get(row.pk, []))
        users = frozenset(affected.get(row.pk, ()))
        incidents.append(PublicIncident(
            id=row.pk, reference=row.reference, name=row.summary, state=row.state,
            status=state.incident_status(row.state), impact=state.impact(row.priority), priority=row.priority,
            service_id=row.service_id, service_name=row.service.name if row.service_id else "",
            created_at=row.opened_at, updated_at=max([row.updated_at, *(u.created_at for u in said)]),
            resolved_at=row.resolved_at if not state.is_open(row.state) else None,
            updates=said, affected=len(users), affected_user_ids=users,
        ))
    ongoing = tuple(i for i in incidents if i.ongoing)
    past = tuple(i for i in incidents if not i.ongoing)

    open_priorities: dict[int, list[int]] = {}
    for incident in ongoing:
        if incident.service_id:
            open_priorities.setdefault(incident.service_id, []).append(incident.priority)
    components = []
    for row in StatusComponent.objects.filter(shown=True).select_related("service", "group"):
        components.append(PublicComponent(
            id=row.pk, service_id=row.service_id, name=row.service.name, description=row.service.description,
            status=state.component_status(open_priorities.get(row.service_id, ()), row.override),
            override_reason=row.override_reason if row.override else "",
            group_id=row.group_id, group_name=row.group.name if row.group_id else "",
            group_position=row.group.position if row.group_id else 0, position=row.position,
            created_at=row.created_at, updated_at=max(row.updated_at, row.override_at or row.updated_at),
        ))
    components.sort(key=lambda c: (c.group_id is None, c.group_position, c.group_name, c.position, c.name))
    groups: list[PublicGroup] = []
    for component in components:
        if groups and groups[-1].id == component.group_id:
            previous = groups[-1]
            groups[-1] = PublicGroup(previous.id, previous.name, (*previous.components, component),
                                     state.worst([previous.status, component.status]))
        else:
            groups.append(PublicGroup(component.group_id, component.group_name or "Other services",
                                      (component,), component.status))
    listed = (*ongoing, *past)
    moments = [c.updated_at for c in components] + [i.updated_at for i in listed]
    return Snapshot(
        generated_at=now, updated_at=max(moments, default=now), components=tuple(components), groups=tuple(groups),
        ongoing=ongoing, past=past,
        indicator=state.indicator([c.status for c in components], [i.impact for i in ongoing]),
        incident_ids=frozenset(i.id for i in listed),
    )


def followable_incident(reference: str) -> Incident | None:
    """The ongoing incident of the page with this reference, for 'me too'; None for any other (one
    that is confidential, not major or over is not told apart from one that does not exist)."""
    from .. import services

    incident = Incident.objects.filter(reference=reference.upper()).first()
    return incident if incident is not None and services.followable(incident) else None
