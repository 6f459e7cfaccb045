"""Monitoring alerts: where they come from, how their labels classify them, and the one open
incident per de-duplication key.

An `AlertSource` is a monitoring system (an Alertmanager, a Grafana, a script). It has its own
account (`service_user`): the reporter of what it opens, and the holder of the API tokens it posts
with, so that revoking a token, or deactivating the account, cuts the source off like any client.

An `AlertGroup` is what one de-duplication key has opened: while its incident is open, every
repeat updates the group instead of opening another incident. At most one open group per key
(a partial unique constraint), which is what makes fifty concurrent posts of one alert one incident.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from incidents.models import Category, Incident, Level, Service, Team

LABEL_NAME = RegexValidator(r"^[A-Za-z_][A-Za-z0-9_]*$", "A label name: letters, digits and underscores.")


def validate_label_names(value) -> None:
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ValidationError("A list of label names.")
    for name in value:
        LABEL_NAME(name)


class SourceKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    GENERIC = "generic", "Generic JSON (Grafana, Zabbix, Nagios, scripts)"


class AlertSource(models.Model):
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.ALERTMANAGER)
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="alert_source", editable=False,
        help_text="The source's own account: the reporter of its incidents, and the owner of its tokens.",
    )
    active = models.BooleanField(default=True, help_text="An inactive source's posts are refused (403).")
    dedup_labels = models.JSONField(
        "de-duplication labels", default=list, blank=True, validators=[validate_label_names],
        help_text="Label names whose values make the de-duplication key, e.g. [\"alertname\", \"cluster\"]. "
                  "Empty: Alertmanager's group key, or the generic payload's dedup_key.",
    )
    resolve_when_cleared = models.BooleanField(
        default=False, help_text="When the alert clears, resolve an incident that is in progress (otherwise a "
                                 "note says it cleared and people decide).",
    )
    default_impact = models.CharField(max_length=10, choices=Level.choices, default=Level.MEDIUM)
    default_urgency = models.CharField(max_length=10, choices=Level.choices, default=Level.MEDIUM)
    default_category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    default_service = models.ForeignKey(Service, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    default_team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_received_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LabelRule(models.Model):
    """When an alert's label `label` has the value `value`, these apply (the empty ones do not).
    Rules apply in order; a later match overrides an earlier one field by field."""

    source = models.ForeignKey(AlertSource, on_delete=models.CASCADE, related_name="rules")
    label = models.CharField(max_length=100, validators=[LABEL_NAME], help_text="e.g. severity, service, team")
    value = models.CharField(max_length=200, help_text="The label's value, exactly (e.g. critical).")
    impact = models.CharField(max_length=10, choices=Level.choices, blank=True)
    urgency = models.CharField(max_length=10, choices=Level.choices, blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["source", "label", "value"], name="label_rule_once")]

    def __str__(self) -> str:
        return f"{self.label}={self.value}"

    def clean(self) -> None:
        if not any((self.impact, self.urgency, self.category_id, self.service_id, self.team_id)):
            raise ValidationError("Choose at least one thing this label value sets.")


class GroupStatus(models.TextChoices):
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"


class AlertGroup(models.Model):
    source = models.ForeignKey(AlertSource, on_delete=models.PROTECT, related_name="groups")
    # The key can be long (Alertmanager's group key lists the grouping labels): looked up by its digest.
    dedup_key = models.TextField()
    key_digest = models.CharField(max_length=64, editable=False)
    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="alert_group")
    previous = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="next",
        help_text="The group of the same key whose incident had closed when this one fired again.",
    )
    # Open while its incident is: repeats land here. Closed when a repeat finds the incident closed.
    open = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=GroupStatus.choices, default=GroupStatus.FIRING)
    occurrences = models.PositiveIntegerField(default=1)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    # The firing alerts as last received: fingerprint, labels, annotations, startsAt, generatorURL.
    alerts = models.JSONField(default=list, blank=True)
    labels = models.JSONField(default=dict, blank=True, help_text="The labels the alerts have in common.")
    # Label values no rule knew (kept, shown to the desk, so that a rule can be added).
    unmapped = models.JSONField(default=dict, blank=True)
    # What the last change was computed from: a repeat that changes none of it writes no event.
    signature = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-last_seen_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "key_digest"], condition=Q(open=True),
                                    name="alert_group_one_open_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.dedup_key[:60]}"
