"""On-call rotations per team, their overrides, and the pages sent to the people on call."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .incident import Incident, IncidentEvent, Team
from .sla import Escalation, validate_time_zone


class Rotation(models.Model):
    """Who of a team is on call when: members take shifts in order, handing off at a wall-clock time."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="rotation")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    starts_on = models.DateField(default=timezone.localdate, help_text="The first member's first shift starts here.")
    handoff_time = models.TimeField(default="09:00", help_text="Shifts change at this local time.")
    shift_hours = models.PositiveIntegerField(default=7 * 24, help_text="Length of a shift (168 = one week).")
    ack_minutes = models.PositiveIntegerField(
        "acknowledge within (minutes)", default=10,
        help_text="An unacknowledged page goes to the next person in line after this many minutes.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["team"]

    def __str__(self) -> str:
        return f"On-call rotation of {self.team}"

    def clean(self) -> None:
        if not self.shift_hours:
            raise ValidationError({"shift_hours": "A shift lasts at least one hour."})


class RotationMember(models.Model):
    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["rotation", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["rotation", "user"], name="rotation_member_once")]

    def __str__(self) -> str:
        return f"{self.position}. {self.user}"


class RotationOverride(models.Model):
    """Someone covers a stretch of the rotation (a swap, a holiday)."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["rotation", "starts_at"]
        indexes = [models.Index(fields=["rotation", "ends_at"], name="rotation_override_end")]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError("The override must end after it starts.")


class Page(models.Model):
    """An urgent notification to one person. Step 0 goes to whoever is on call; each step after
    it to the next in line, when the previous page was not acknowledged in time."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="pages")
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="pages")
    step = models.PositiveSmallIntegerField(default=0)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pages")
    created_at = models.DateTimeField()
    escalate_at = models.DateTimeField(help_text="Goes to the next in line if not acknowledged by then.")
    passed_on_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    webhook_sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    event = models.ForeignKey(IncidentEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["created_at", "step"]
        constraints = [models.UniqueConstraint(fields=["escalation", "step"], name="page_once_per_step")]
        indexes = [
            # The sweep's second query: pages waiting for an acknowledgement.
            models.Index(fields=["escalate_at"], name="page_waiting",
                         condition=Q(acknowledged_at__isnull=True, passed_on_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"Page {self.step} to {self.user} for {self.incident_id}"

    @property
    def is_pending(self) -> bool:
        """Waiting for an acknowledgement, and not yet passed on."""
        return self.acknowledged_at is None and self.passed_on_at is None
