"""Regulatory clocks: the catalogue of regulations (GDPR 72 hours, HIPAA 60 days, ...) and the clock
each one starts on an incident from the time the organisation became aware.

A clock's deadline is wall-clock time (`aware_at + window`), not business hours: the regulators
count calendar hours. Its next threshold (50%, 75%, 100% of the window) is a stored, indexed column
that the SLA sweep reads (`response.regulatory.sweep`); each threshold passed is a
`RegulatoryThreshold` row under a unique constraint, so it fires once whatever the sweep does twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

__all__ = ["ClockState", "Regulation", "RegulatoryClock", "RegulatoryThreshold", "THRESHOLDS"]

# The percentages of the window at which a running clock escalates.
THRESHOLDS = (50, 75, 100)


class Regulation(models.Model):
    """A rule that obliges the organisation to notify an authority within a window after it
    became aware of a breach. GDPR and HIPAA are ensured after every migrate; admins add theirs."""

    name = models.CharField(max_length=100)
    code = models.SlugField(max_length=32, unique=True, help_text="Short unique code, e.g. gdpr.")
    window = models.DurationField(help_text="Time allowed from awareness to the notice, e.g. 72:00:00 or 60 days.")
    authority = models.CharField(max_length=200, blank=True, help_text="Who is to be notified.")
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True, help_text="Inactive regulations are not offered for new clocks.")

    class Meta:
        ordering = ("name",)
        constraints = [
            models.CheckConstraint(condition=Q(window__gt=timedelta(0)), name="regulation_window_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.window is not None and self.window <= timedelta(0):
            raise ValidationError({"window": "The window must be longer than zero."})


class ClockState(models.TextChoices):
    RUNNING = "running", "Running"
    NOTIFIED = "notified", "Notice sent"
    NOT_NOTIFIABLE = "not_notifiable", "Not notifiable"


class RegulatoryClock(models.Model):
    """One regulation's clock on one incident, from awareness to the notice (or the decision that
    none is owed)."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="regulatory_clocks")
    regulation = models.ForeignKey(Regulation, on_delete=models.PROTECT, related_name="clocks")
    aware_at = models.DateTimeField(help_text="When the organisation became aware of the breach.")
    # The window as it was when applied: an admin editing the regulation later moves no deadline.
    window = models.DurationField()
    due_at = models.DateTimeField()
    state = models.CharField(max_length=20, choices=ClockState.choices, default=ClockState.RUNNING)
    # The next threshold still to fire; None once stopped or past 100%.
    next_threshold_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(default=timezone.now)
    stopped_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    stopped_at = models.DateTimeField(null=True, blank=True)
    # The notice: to whom, when it was sent, and the reference or what was sent.
    notified_to = models.CharField(max_length=300, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    notice_reference = models.TextField(blank=True)
    not_notifiable_reason = models.TextField(blank=True)

    class Meta:
        ordering = ("due_at", "pk")
        verbose_name = "regulatory clock"
        constraints = [
            models.UniqueConstraint(fields=["incident", "regulation"], name="regulatory_clock_once_per_incident"),
        ]
        indexes = [
            models.Index(fields=["next_threshold_at"], condition=Q(state="running"),
                         name="regulatory_clock_next_due"),
            models.Index(fields=["due_at"], condition=Q(state="running"), name="regulatory_clock_running_due"),
        ]

    def __str__(self) -> str:
        return f"{self.regulation} clock on {self.incident_id}"

    @property
    def running(self) -> bool:
        return self.state == ClockState.RUNNING

    def threshold_at(self, percent: int) -> datetime:
        return self.aware_at + self.window * percent / 100

    def elapsed_percent(self, now: datetime | None = None) -> int:
        """How much of the window has gone: until the notice was sent, or the decision was taken."""
        if self.state == ClockState.NOTIFIED and self.notified_at:
            end = self.notified_at
        elif not self.running and self.stopped_at:
            end = self.stopped_at
        else:
            end = now or timezone.now()
        return max(0, int((end - self.aware_at) / self.window * 100))

    def time_left(self, now: datetime | None = None) -> timedelta:
        """Negative when overdue."""
        return self.due_at - (now or timezone.now())


class RegulatoryThreshold(models.Model):
    """A threshold of a clock that the sweep handled: notified, or recorded only (superseded by a
    later one due at the same time, or passed before the clock was applied)."""

    clock = models.ForeignKey(RegulatoryClock, on_delete=models.CASCADE, related_name="thresholds")
    percent = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField()
    fired_at = models.DateTimeField()
    notified = models.BooleanField(default=False)
    outcome = models.CharField(max_length=300, blank=True)
    event = models.ForeignKey("incidents.IncidentEvent", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")

    class Meta:
        ordering = ("clock", "percent")
        constraints = [
            models.UniqueConstraint(fields=["clock", "percent"], name="regulatory_threshold_once"),
        ]

    def __str__(self) -> str:
        return f"{self.percent}% of {self.clock}"
