"""Who is on call: the rotation's arithmetic, and the order in which people are paged.

Shifts are counted in the rotation's local wall-clock time, so a weekly 09:00 handoff stays at
09:00 across the clock changes. An override covering the instant wins over the rotation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from ..models import Rotation, RotationMember, RotationOverride, Team


@dataclass(frozen=True)
class Shift:
    index: int
    starts_at: datetime
    ends_at: datetime


def shift_at(rotation: Rotation, at: datetime) -> Shift:
    """The shift (numbered from the rotation's start) that contains `at`."""
    zone = ZoneInfo(rotation.time_zone)
    handoff = rotation.handoff_time
    if isinstance(handoff, str):  # the field's default, on an instance not yet read back
        handoff = time.fromisoformat(handoff)
    anchor = datetime.combine(rotation.starts_on, handoff)
    length = timedelta(hours=rotation.shift_hours)
    wall = at.astimezone(zone).replace(tzinfo=None)
    index = (wall - anchor) // length
    start = anchor + index * length
    return Shift(index, start.replace(tzinfo=zone), (start + length).replace(tzinfo=zone))


def _members(rotation: Rotation) -> list:
    cached = getattr(rotation, "_members_cache", None)
    if cached is None:
        cached = [m.user for m in RotationMember.objects.filter(rotation=rotation).select_related("user")
                  .order_by("position", "pk") if m.user.is_active]
        rotation._members_cache = cached
    return cached


def _override(rotation: Rotation, at: datetime):
    row = (
        RotationOverride.objects.filter(rotation=rotation, starts_at__lte=at, ends_at__gt=at)
        .select_related("user").order_by("-pk").first()
    )
    return row.user if row is not None and row.user.is_active else None


def in_line(rotation: Rotation, at: datetime | None = None) -> list:
    """Who to page, in order: the person on call now, then the next in the rotation."""
    at = at or timezone.now()
    members = _members(rotation)
    order: list = []
    covering = _override(rotation, at)
    if covering is not None:
        order.append(covering)
    if members:
        first = shift_at(rotation, at).index % len(members)
        order.extend(members[first:] + members[:first])
    return list(dict.fromkeys(order))  # a person is paged once per chain


def on_call(team: Team | int, at: datetime | None = None):
    """The person on call for the team now (or at `at`); None without a rotation or members."""
    rotation = team_rotation(team)
    if rotation is None:
        return None
    people = in_line(rotation, at)
    return people[0] if people else None


def team_rotation(team: Team | int) -> Rotation | None:
    team_id = team if isinstance(team, int) else team.pk
    return Rotation.objects.filter(team_id=team_id).first()


def on_call_now_by_team(team_ids: Sequence[int], at: datetime | None = None) -> dict[int, object]:
    """{team id: person on call} for a page of admin rows: a fixed number of queries."""
    at = at or timezone.now()
    rotations = {r.team_id: r for r in Rotation.objects.filter(team_id__in=list(team_ids))}
    members: dict[int, list] = {}
    for m in RotationMember.objects.filter(rotation__in=rotations.values()).select_related("user").order_by(
        "position", "pk"
    ):
        if m.user.is_active:
            members.setdefault(m.rotation_id, []).append(m.user)
    overrides = {}
    for o in RotationOverride.objects.filter(
        rotation__in=rotations.values(), starts_at__lte=at, ends_at__gt=at
    ).select_related("user").order_by("pk"):
        if o.user.is_active:
            overrides[o.rotation_id] = o.user
    result: dict[int, object] = {}
    for team_id, rotation in rotations.items():
        if rotation.pk in overrides:
            result[team_id] = overrides[rotation.pk]
        elif members.get(rotation.pk):
            people = members[rotation.pk]
            result[team_id] = people[shift_at(rotation, at).index % len(people)]
    return result
