"""What one sweep looks up once, however many incidents it handles: the SLA configuration, the
system actor, the incident managers' and teams' addresses, the rotations and escalation paths.

The sweep, its actions and the paging chain all read through it, so a batch of a thousand due
incidents asks each of these questions once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model

from .. import roles, services
from ..models import EscalationPath, Rotation, Team
from . import clock
from .clock import SlaConfig


@dataclass
class Context:
    """What a sweep looks up once, however many incidents it handles."""

    now: datetime
    config: SlaConfig
    system: object
    _managers: list[str] | None = None
    _team_emails: dict[int, list[str]] = field(default_factory=dict)
    _rotations: dict[int, Rotation | None] = field(default_factory=dict)
    _paths: dict[int, Team] | None = None

    @classmethod
    def start(cls, now: datetime) -> Context:
        config = clock.current_config()
        # The system user is created (once ever) here, outside any savepoint, so that a
        # rolled-back action cannot undo it.
        return cls(now=now, config=config, system=services.system_user())

    def manager_emails(self) -> list[str]:
        if self._managers is None:
            self._managers = sorted(
                get_user_model().objects.filter(groups__name=roles.INCIDENT_MANAGER, is_active=True)
                .exclude(email="").values_list("email", flat=True).distinct()
            )
        return self._managers

    def team_emails(self, team: Team | None) -> list[str]:
        if team is None:
            return []
        if team.pk not in self._team_emails:
            if team.email:
                self._team_emails[team.pk] = [team.email]
            else:
                self._team_emails[team.pk] = sorted(
                    team.members.filter(is_active=True).exclude(email="").values_list("email", flat=True)
                )
        return self._team_emails[team.pk]

    def rotation(self, team_id: int | None) -> Rotation | None:
        if team_id is None:
            return None
        if team_id not in self._rotations:
            self._rotations[team_id] = Rotation.objects.filter(team_id=team_id).first()
        return self._rotations[team_id]

    def escalates_to(self, team_id: int | None) -> Team | None:
        """The tier 2/3 team of a team's escalation path (all paths read in one query)."""
        if self._paths is None:
            self._paths = {p.team_id: p.escalates_to for p in EscalationPath.objects.select_related("escalates_to")}
        return self._paths.get(team_id) if team_id is not None else None
