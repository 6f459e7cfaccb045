"""Scenarios and the drills run from them.

A `Scenario` is what a facilitator prepares: a briefing, the incident it opens (its summary,
classification and channel) and scripted steps at offsets from the start. A `Drill` is one run of
it: the incident it opened, who started and ended it, and at the end its score (the incident's
SOP conformance checklist). Each scripted step of a running drill is a `DrillStep` row with its
due time stored and indexed, so the beat task finds what is due with one query.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from incidents.models import Category, Channel, Incident, Level, Service


class StepKind(models.TextChoices):
    ALERT = "alert", "Monitoring alert"
    UPDATE = "update", "Stakeholder update (internal)"
    COMMENT = "comment", "Reporter comment"


SEVERITIES = [("critical", "Critical"), ("warning", "Warning"), ("info", "Info")]


class Scenario(models.Model):
    title = models.CharField(max_length=200, unique=True)
    briefing = models.TextField(blank=True, help_text="For the facilitator: the story, who plays whom, what to watch.")
    # The incident the drill opens.
    summary = models.CharField(max_length=200, help_text="The drill incident's summary.")
    description = models.TextField(blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    impact = models.CharField(max_length=10, choices=Level.choices, default=Level.HIGH)
    urgency = models.CharField(max_length=10, choices=Level.choices, default=Level.HIGH)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.MONITORING)
    active = models.BooleanField(default=True, help_text="Only active scenarios can be started.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class ScenarioStep(models.Model):
    """One scripted step, `offset_minutes` after the drill starts."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="steps")
    offset_minutes = models.PositiveIntegerField(help_text="Minutes after the start.")
    kind = models.CharField(max_length=10, choices=StepKind.choices)
    title = models.CharField(max_length=200, blank=True, help_text="An alert's title.")
    severity = models.CharField(max_length=10, choices=SEVERITIES, blank=True, help_text="An alert's severity.")
    labels = models.JSONField(default=dict, blank=True, help_text='An alert\'s labels, e.g. {"service": "core-net"}.')
    text = models.TextField(blank=True, help_text="An update's or a comment's text.")

    class Meta:
        ordering = ["scenario", "offset_minutes", "pk"]

    def __str__(self) -> str:
        return f"+{self.offset_minutes} min: {self.get_kind_display()}"

    def clean(self) -> None:
        if self.kind == StepKind.ALERT and not self.title.strip():
            raise ValidationError({"title": "An alert needs a title."})
        if self.kind in (StepKind.UPDATE, StepKind.COMMENT) and not self.text.strip():
            raise ValidationError({"text": "Write the text the step posts."})
        if not isinstance(self.labels, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in self.labels.items()):
            raise ValidationError({"labels": "Labels are names and values, both text."})


class Drill(models.Model):
    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="drills")
    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="drill")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    # The incident's conformance checklist when the drill ended (`compliance.conformance`).
    score = models.JSONField(null=True, blank=True)
    met = models.PositiveIntegerField(null=True, blank=True)
    applicable = models.PositiveIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True, help_text="The facilitator's debrief.")

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.scenario} ({self.incident.reference})"

    @property
    def running(self) -> bool:
        return self.ended_at is None


class StepStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (the drill ended first)"


class DrillStep(models.Model):
    """A scripted step of a running drill: a deadline stored as data, run once by the beat task."""

    drill = models.ForeignKey(Drill, on_delete=models.CASCADE, related_name="steps")
    step = models.ForeignKey(ScenarioStep, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=StepStatus.choices, default=StepStatus.PENDING)
    done_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["drill", "step"], name="drillstep_once")]
        # The sweep's one query: pending steps by due time (done ones are not in the index).
        indexes = [models.Index(fields=["due_at"], name="drillstep_due", condition=Q(status="pending"))]

    def __str__(self) -> str:
        return f"{self.step} of {self.drill_id}"
