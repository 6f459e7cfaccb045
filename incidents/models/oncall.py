"""On-call rotations per team, their overrides, the pages sent to the people on call, and the shift
handoffs (the briefing each one owes, the notes written for it)."""

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


class Handoff(models.Model):
    """A shift handoff of a rotation, and the briefing e-mail it owes the person coming on call.

    Written by the beat task that finds the handoffs since its last run (`oncall.handoff`); the
    unique (rotation, handoff_at) is what makes a second run or a duplicate task owe nothing more,
    and `sent_at` is set in the transaction that sends (`core.outbox`).
    """

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="handoffs")
    handoff_at = models.DateTimeField(help_text="The incoming shift starts.")
    window_starts_at = models.DateTimeField(help_text="The outgoing shift started: the briefing covers from here.")
    incoming = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", help_text="On call from the handoff: the briefing's recipient.")
    outgoing = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True, help_text="Why it was not sent (no address).")

    class Meta:
        ordering = ["-handoff_at"]
        constraints = [models.UniqueConstraint(fields=["rotation", "handoff_at"], name="handoff_once")]
        indexes = [
            # The relay's query: briefings still owed.
            models.Index(fields=["created_at"], name="handoff_unsent", condition=Q(sent_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"Handoff of {self.rotation.team} at {self.handoff_at:%Y-%m-%d %H:%M}"


class HandoffNote(models.Model):
    """What someone going off shift tells the next one: written once per person and handoff, and
    put on each open incident of the team's timeline as a work note in the same transaction."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="handoff_notes")
    handoff_at = models.DateTimeField(help_text="The handoff it is for: the end of the shift it was written in.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    incident_count = models.PositiveIntegerField("noted on incidents", default=0)

    class Meta:
        ordering = ["handoff_at", "created_at", "pk"]
        constraints = [
            # A form sent twice puts the note on the incidents once.
            models.UniqueConstraint(fields=["rotation", "handoff_at", "author"], name="handoff_note_once"),
        ]

    def __str__(self) -> str:
        return f"Handoff note by {self.author} for {self.handoff_at:%Y-%m-%d %H:%M}"
