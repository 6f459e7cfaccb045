"""On-call's part of the demo (`manage.py seed_demo`): a weekly rotation for each resolver team, its
two members taking turns, and an override on each (a swap today, a long weekend, a holiday), so
that the admin's rotations show who is on call now and why.

Rotations are configuration, which an incident manager keeps in the admin: there is no service
for them, so they are saved as the admin saves them, with the manager in their history.
Idempotent: a team that has a rotation keeps it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import Rotation, RotationMember, RotationOverride

# Who keeps the on-call configuration.
CONFIGURED_BY = "maria"


@dataclass(frozen=True)
class DemoOverride:
    username: str
    # Hours from the start of the current hour at seeding; negative: it began before.
    starts_in_hours: int
    hours: int
    note: str


@dataclass(frozen=True)
class DemoRotation:
    team: str
    members: tuple[str, ...]  # in the order they take their weeks, starting this week
    override: DemoOverride


ROTATIONS = [
    DemoRotation("Network", ("nick", "nora"),
                 DemoOverride("nora", -2, 24, "Swap: Nick is at the carrier's training today; Nora covers.")),
    DemoRotation("Platform", ("paula", "pete"),
                 DemoOverride("pete", 4 * 24, 3 * 24, "Paula's long weekend.")),
    DemoRotation("Security", ("sam", "sofia"),
                 DemoOverride("sofia", 14 * 24, 7 * 24, "Sam on holiday.")),
]


def seed(org) -> int:
    """Create the rotations that do not exist yet. Returns how many were added."""
    manager = org.users[CONFIGURED_BY]
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    today = timezone.localdate()
    added = 0
    for spec in ROTATIONS:
        team = org.teams[spec.team]
        if Rotation.objects.filter(team=team).exists():
            continue
        with transaction.atomic():
            # Weekly shifts handed over on Mondays at 09:00, counted from this week's Monday, so
            # that the first member is on call this week.
            rotation = Rotation(team=team, time_zone=settings.TIME_ZONE, starts_on=today - timedelta(days=today.weekday()),
                                handoff_time=time(9), shift_hours=7 * 24, ack_minutes=10)
            _save(rotation, manager)
            for position, username in enumerate(spec.members):
                _save(RotationMember(rotation=rotation, user=org.users[username], position=position), manager)
            starts_at: datetime = hour + timedelta(hours=spec.override.starts_in_hours)
            _save(RotationOverride(rotation=rotation, user=org.users[spec.override.username], starts_at=starts_at,
                                   ends_at=starts_at + timedelta(hours=spec.override.hours), note=spec.override.note),
                  manager)
        added += 1
    return added


def _save(row, user) -> None:
    row.full_clean()
    row._history_user = user
    row.save()
