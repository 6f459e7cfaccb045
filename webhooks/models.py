"""Outbound webhooks: the endpoints that hear about incident events, and the messages owed to them.

An `Endpoint` is a URL that a staff member owns (`audience.may_own`). It hears about the events of
the kinds it subscribed to that its owner may read (`audience.may_receive`): every event of an
incident whose whole record the owner reads (`incidents.roles.sees_internal`), and only the public
events of an incident the owner reads as its reporter (`incidents.roles.can_view`), since an
endpoint must not forward work notes and internal events to someone who could not read them. The
rule is asked when the event is written (`routing`) and again before every attempt (`delivery`).

A `Delivery` is one message owed to one endpoint about one event, written in the transaction that
records the event (`routing`), under a unique key; `delivery` sends it and every `Attempt` is kept.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from incidents.models import EventKind, IncidentEvent

from . import guard, signing
from .audience import may_own


class PayloadFormat(models.TextChoices):
    STANDARD = "standard", "Standard Webhooks (JSON)"
    SLACK = "slack", "Slack (incoming webhook)"
    TEAMS = "teams", "Microsoft Teams (Adaptive Card)"


def validate_event_kinds(value) -> None:
    if not isinstance(value, list) or not all(isinstance(kind, str) for kind in value):
        raise ValidationError("A list of event kinds.")
    unknown = sorted(set(value) - set(EventKind.values))
    if unknown:
        raise ValidationError(f"Unknown event kinds: {', '.join(unknown)}.")


class Endpoint(models.Model):
    name = models.CharField(max_length=100)
    url = models.URLField("URL", max_length=500, validators=[guard.validate_url],
                          help_text="Where events are POSTed (http or https).")
    events = models.JSONField(default=list, blank=True, validators=[validate_event_kinds],
                              help_text="The event kinds sent; none ticked: every kind.")
    payload_format = models.CharField(max_length=20, choices=PayloadFormat.choices, default=PayloadFormat.STANDARD)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="webhook_endpoints", limit_choices_to=may_own,
        help_text="A staff member. Receives the events this person may read, and is e-mailed if the endpoint is "
                  "disabled.",
    )
    active = models.BooleanField(default=True)
    # Signs every message (Standard Webhooks: "whsec_" + base64). Kept readable, not hashed: each
    # message is signed with it. After a rotation the previous one also signs for a while, so that
    # receivers can switch over without rejecting messages.
    secret = models.CharField(max_length=100, default=signing.new_secret, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)

    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    # The e-mail telling the owner it was disabled is owed while this is empty (`notices`).
    disabled_notice_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "pk"]
        permissions = [("manage_all_endpoints", "Can manage every webhook endpoint")]
        indexes = [
            # Every event recorded asks which endpoints are active.
            models.Index(fields=["active"], name="webhook_endpoint_active", condition=Q(active=True)),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def url_host(self) -> str:
        """The URL without its path: a Slack or Teams webhook URL's path is itself a credential, so
        lists and e-mails show only where it goes."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}/…" if parts.netloc else self.url

    def wants(self, kind: str) -> bool:
        return not self.events or kind in self.events

    def signing_secrets(self, now=None) -> list[str]:
        """The secrets that sign a message now: the current one, and the previous one until its time is up."""
        now = now or timezone.now()
        if self.previous_secret and self.previous_secret_until and now < self.previous_secret_until:
            return [self.secret, self.previous_secret]
        return [self.secret]


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One message owed to one endpoint about one event. The body is built at the first attempt and
    kept, so that every attempt sends the same bytes under the same `webhook-id`."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    event = models.ForeignKey(IncidentEvent, on_delete=models.CASCADE, related_name="+")
    message_id = models.CharField("webhook-id", max_length=40, unique=True, default=signing.new_message_id,
                                  editable=False)
    state = models.CharField(max_length=20, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    # Pending: when the next attempt is due. While an attempt runs, `claimed_until` says until
    # when it may run; a claim older than that belongs to a worker that died.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # When a task to send it was last published: the retry sweep and the relay publish another
    # only once that one had time to start, so a backlog is not queued again every run.
    queued_at = models.DateTimeField(null=True, blank=True)
    give_up_at = models.DateTimeField(help_text="Still undelivered by then: failed.")
    attempts = models.PositiveIntegerField(default=0)
    payload = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField("latency (ms)", null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "deliveries"
        permissions = [("redeliver_delivery", "Can send a webhook message again")]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once")]
        indexes = [
            # The retry sweep's and the relay's question: what pending message is due? Only the
            # pending rows are in it, however many were ever delivered.
            models.Index(fields=["next_attempt_at"], name="webhook_delivery_due",
                         condition=Q(state="pending")),
            # The delivery log, newest first (and per endpoint).
            models.Index(fields=["-created_at", "-id"], name="webhook_delivery_newest"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} to {self.endpoint_id}"


class Attempt(models.Model):
    """One POST of a delivery: what the receiver answered, how fast, or what went wrong."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField("latency (ms)", null=True, blank=True)
    error = models.TextField(blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_once")]

    def __str__(self) -> str:
        return f"Attempt {self.number} of {self.delivery_id}"
