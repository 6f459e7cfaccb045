"""SLA configuration (calendars, policies, escalation rules) and the escalations fired.

The configuration is data that admins edit, with history. The clock itself is computed by
`incidents.sla` (pure arithmetic) and kept on the incident by `incidents.clock`.
"""

from __future__ import annotations

import uuid
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core import businesstime

from .incident import Incident, IncidentEvent, Priority, Team

WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"), (5, "Saturday"),
            (6, "Sunday")]


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"“{value}” is not a time zone name such as Europe/London.")


class SlaConfigStamp(models.Model):
    """One row whose token changes, in the same transaction, whenever an SLA policy, calendar,
    business hours, holiday or escalation rule is saved or deleted (`incidents.clock`).

    Every process keeps the configuration it loaded for as long as the token is the one it loaded
    it under: one small query per use instead of five. Being a row, the token commits and rolls
    back with the change, so no process can keep a configuration that never committed.
    """

    token = models.UUIDField(default=uuid.uuid4)

    class Meta:
        verbose_name = "SLA configuration stamp"

    def __str__(self) -> str:
        return str(self.token)

    @classmethod
    def renew(cls, using: str | None = None) -> None:
        token = uuid.uuid4()
        stamps = cls.objects.db_manager(using)
        if not stamps.filter(pk=1).update(token=token):
            stamps.get_or_create(pk=1, defaults={"token": token})


class SlaConfigQuerySet(models.QuerySet):
    """Changes in bulk send no signal: they renew the configuration's stamp themselves, in the
    same transaction as the change."""

    def update(self, **kwargs) -> int:
        with transaction.atomic(using=self.db):
            rows = super().update(**kwargs)
            SlaConfigStamp.renew(self.db)
        return rows

    def bulk_create(self, objs, *args, **kwargs):
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            SlaConfigStamp.renew(self.db)
        return created

    def bulk_update(self, objs, fields, *args, **kwargs) -> int:
        with transaction.atomic(using=self.db):
            rows = super().bulk_update(objs, fields, *args, **kwargs)
            SlaConfigStamp.renew(self.db)
        return rows


class BusinessCalendar(models.Model):
    """When an SLA clock runs: opening hours per weekday in a time zone, minus holidays; or 24x7."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    always_open = models.BooleanField("24x7", default=False, help_text="The clock runs around the clock.")
    day_minutes = models.PositiveIntegerField(
        "business day (minutes)", default=8 * 60,
        help_text="How much business time “one business day” is in targets (480 = 8 hours).",
    )
    is_default = models.BooleanField(
        default=False, help_text="Used where no priority applies, e.g. the auto-close grace period.",
    )
    objects = SlaConfigQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_calendar"),
        ]

    def __str__(self) -> str:
        return self.name

    def as_calendar(self, hours=None, holidays=None) -> businesstime.Calendar:
        """The pure calendar. Pass prefetched hours/holidays to avoid queries."""
        if self.always_open:
            return businesstime.ALWAYS
        hours = self.hours.all() if hours is None else hours
        holidays = self.holidays.all() if holidays is None else holidays
        table: dict[int, list[tuple[int, int]]] = {}
        for row in hours:
            table.setdefault(row.weekday, []).append(row.interval)
        return businesstime.Calendar.weekly(
            table, tz=self.time_zone, holidays=[h.date for h in holidays], day_minutes=self.day_minutes,
        )


class BusinessHours(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    opens = models.TimeField()
    closes = models.TimeField(help_text="00:00 means midnight at the end of the day.")
    objects = SlaConfigQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["calendar", "weekday", "opens"]
        verbose_name_plural = "business hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    @property
    def interval(self) -> tuple[int, int]:
        closes = self.closes.hour * 60 + self.closes.minute or businesstime.MINUTES_PER_DAY
        return (self.opens.hour * 60 + self.opens.minute, closes)

    def clean(self) -> None:
        if self.opens is not None and self.closes is not None:
            opens, closes = self.interval
            if closes <= opens:
                raise ValidationError("Closing time must be after opening time.")


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)
    objects = SlaConfigQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_per_calendar")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


class SlaPolicy(models.Model):
    """Targets for one priority. Times are minutes of business time on the calendar."""

    priority = models.PositiveSmallIntegerField(choices=Priority.choices, unique=True)
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="policies")
    response_minutes = models.PositiveIntegerField(help_text="Time to first response, in business minutes.")
    resolution_minutes = models.PositiveIntegerField(help_text="Time to resolution, in business minutes.")
    update_minutes = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="Stakeholder updates are due this often (wall-clock minutes); empty: no cadence.",
    )
    objects = SlaConfigQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["priority"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return f"P{self.priority}"


class EscalationPath(models.Model):
    """Where a team's incidents go when they must move up a tier."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="escalation_path")
    escalates_to = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["team"]

    def __str__(self) -> str:
        return f"{self.team} → {self.escalates_to}"

    def clean(self) -> None:
        if self.team_id and self.team_id == self.escalates_to_id:
            raise ValidationError("A team cannot escalate to itself.")


class Trigger(models.TextChoices):
    RESPONSE_ELAPSED = "response", "% of response target elapsed"
    RESOLUTION_ELAPSED = "resolution", "% of resolution target elapsed"
    UNASSIGNED = "unassigned", "Unassigned for N minutes"
    UPDATE_OVERDUE = "update_overdue", "Stakeholder update overdue by N minutes"


class Action(models.TextChoices):
    NOTIFY_ASSIGNEE = "notify_assignee", "Notify the assignee"
    NOTIFY_TEAM = "notify_team", "Notify the team"
    NOTIFY_MANAGER = "notify_manager", "Notify the incident managers"
    PAGE_ON_CALL = "page_on_call", "Page the team's on-call"
    ROUTE_UP = "route_up", "Route to the tier 2/3 team"
    RAISE_PRIORITY = "raise_priority", "Raise the priority one step"
    MARK_MAJOR = "mark_major", "Mark as a major incident"


class EscalationRule(models.Model):
    """When (trigger) an incident of which priorities gets what (action). Edited in the admin."""

    name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)
    up_to_priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.P4,
        help_text="Applies to this priority and the more urgent ones (P2: P1 and P2).",
    )
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    percent = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="For target triggers: 75, 90, 100 (100 is the breach).",
    )
    minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="For unassigned / update-overdue triggers: wall-clock minutes.",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    target_team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="For routing: this team; empty: the team's escalation path.",
    )
    objects = SlaConfigQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["trigger", "percent", "minutes", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.trigger in (Trigger.RESPONSE_ELAPSED, Trigger.RESOLUTION_ELAPSED):
            if not self.percent or self.percent > 100:
                raise ValidationError({"percent": "Give a percentage between 1 and 100."})
        elif self.minutes is None:
            raise ValidationError({"minutes": "Give the number of minutes."})


class Escalation(models.Model):
    """Something the SLA clock did to one incident, once: a rule fired, or a target breached.

    `key` names the occurrence (the rule and the SLA cycle, the unassigned spell or the missed
    update); the unique constraint on (incident, key) is what makes a retried, duplicated or
    concurrent sweep harmless.
    """

    # No index of its own: the unique (incident, key) index starts with it.
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="escalations", db_index=False)
    rule = models.ForeignKey(EscalationRule, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="escalations")
    key = models.CharField(max_length=60)
    fired_at = models.DateTimeField()
    due_at = models.DateTimeField(help_text="When the trigger was due.")
    # Recorded, action skipped: a stronger threshold of the same clock was due at the same time, or
    # the threshold passed before the incident's clock was started (`outcome` says which).
    superseded = models.BooleanField(default=False)
    outcome = models.CharField(max_length=300, blank=True)
    event = models.ForeignKey(IncidentEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["fired_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["incident", "key"], name="escalation_once")]

    def __str__(self) -> str:
        return f"{self.key} on {self.incident_id}"
