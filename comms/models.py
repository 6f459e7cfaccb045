"""Communication templates: what the organisation says, worded once, for each moment of an incident
and each channel, edited by incident managers with history.

A template's text is Jinja2, rendered in a sandbox over the incident's public fields only
(`rendering`); a template that does not compile or names an unknown variable is refused when it
is saved, with the line and the variables it may use.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from jinja2 import TemplateError
from simple_history.models import HistoricalRecords

from core.text import mail_subject
from incidents.models import Incident, Service, Team

from . import rendering


class Purpose(models.TextChoices):
    INITIAL = "initial", "Initial notification"
    UPDATE = "update", "Status update"
    RESOLUTION = "resolution", "Resolution"
    SECURITY = "security", "Security notice"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    STATUS_PAGE = "status_page", "Status page"
    CHAT = "chat", "Chat"


class Template(models.Model):
    name = models.CharField(max_length=100, unique=True)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    subject = models.CharField(max_length=300, blank=True, help_text="E-mail only; one line, may use variables.")
    body = models.TextField(help_text="The text, with variables such as {{ reference }} and {{ summary }}.")
    active = models.BooleanField(default=True, help_text="Offered when posting an update.")
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["purpose", "channel", "name"]
        verbose_name = "communication template"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.updated_at = timezone.now()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.channel == Channel.EMAIL and not self.subject.strip():
            raise ValidationError({"subject": "An e-mail template needs a subject."})
        if self.channel != Channel.EMAIL and self.subject.strip():
            raise ValidationError({"subject": f"A {self.get_channel_display().lower()} text has no subject; "
                                              "leave it empty."})
        errors: dict[str, list[str]] = {}
        for field in ("subject", "body"):
            try:
                rendering.check(getattr(self, field), field=field)
            except ValidationError as error:
                for name, sentences in error.message_dict.items():
                    errors.setdefault(name, []).extend(sentences)
        if errors:
            raise ValidationError(errors)
        # It compiles and names only known variables; render it once so that what fails only when
        # run (a loop too long, a refused operation) is refused now too, not when the incident is on.
        try:
            self.render(rendering.sample_context())
        except TemplateError as error:
            raise ValidationError({"body": str(error)}) from error

    def render(self, context) -> rendering.Rendered:
        """The text for an incident (or a context from `rendering.context_for`); TemplateError when
        it cannot be made."""
        if not isinstance(context, dict):
            context = rendering.context_for(context)
        subject = mail_subject(rendering.render_text(self.subject, context)) if self.subject else ""
        return rendering.Rendered(subject=subject, body=rendering.render_text(self.body, context).strip())


# --- stakeholders and the updates they receive ---------------------------------------------------
class Audience(models.TextChoices):
    INTERNAL = "internal", "Internal (staff)"
    EXTERNAL = "external", "External (users, customers)"


def _one_of(*fields: str) -> models.Q:
    """Exactly one of `fields` is set (a foreign key not null, or a text not empty)."""
    options = []
    for chosen in fields:
        q = models.Q()
        for name in fields:
            is_text = name == "email"
            empty = models.Q(**{name: ""}) if is_text else models.Q(**{f"{name}__isnull": True})
            q &= ~empty if name == chosen else empty
        options.append(q)
    combined = options[0]
    for q in options[1:]:
        combined |= q
    return combined


class ServiceOwner(models.Model):
    """Who hears about every incident on a service (its internal audience), besides whoever an
    update is addressed to: a team (its address, or its members) or a person."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+", limit_choices_to={"is_active": True})

    class Meta:
        ordering = ["service__name", "pk"]
        constraints = [
            models.CheckConstraint(condition=_one_of("team", "user"), name="service_owner_team_or_user"),
            models.UniqueConstraint(fields=["service", "team"], name="service_owner_team_once",
                                    condition=models.Q(team__isnull=False)),
            models.UniqueConstraint(fields=["service", "user"], name="service_owner_user_once",
                                    condition=models.Q(user__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.service}: {self.team or self.user}"


class Stakeholder(models.Model):
    """Someone subscribed to an incident's updates by hand, beyond those who hear of it anyway (its
    reporter, the service's owners, and for P1/P2 the incident managers: `stakeholders.audience`)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="stakeholders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    email = models.EmailField(blank=True)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.EXTERNAL)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=_one_of("user", "team", "email"), name="stakeholder_one_kind"),
            models.UniqueConstraint(fields=["incident", "user"], name="stakeholder_user_once",
                                    condition=models.Q(user__isnull=False)),
            models.UniqueConstraint(fields=["incident", "team"], name="stakeholder_team_once",
                                    condition=models.Q(team__isnull=False)),
            models.UniqueConstraint(fields=["incident", "email"], name="stakeholder_email_once",
                                    condition=~models.Q(email="")),
        ]

    def __str__(self) -> str:
        return str(self.user or self.team or self.email)


class Update(models.Model):
    """One update posted about an incident: what was said, by whom, to which audiences. Its
    messages (`UpdateMessage`, one per recipient) were owed in the same transaction."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="updates")
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    template = models.ForeignKey(Template, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    to_internal = models.BooleanField("internal audience", default=False)
    to_external = models.BooleanField("external audience", default=False)
    to_status_page = models.BooleanField("status page", default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["incident", "-created_at"], name="comms_update_incident")]

    def __str__(self) -> str:
        return f"{self.incident}: {self.subject or self.body[:60]}"

    @property
    def audiences(self) -> list[str]:
        return [label for flag, label in ((self.to_internal, "internal"), (self.to_external, "external"),
                                          (self.to_status_page, "status page")) if flag]


class UpdateMessage(models.Model):
    """An e-mail owed to one recipient for one update (`core.outbox`): written with the update,
    sent once by the worker, queued again by the relay if its task was lost."""

    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="messages", db_index=False)
    recipient = models.CharField(max_length=254)
    audience = models.CharField(max_length=10, choices=Audience.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["update", "recipient"], name="update_message_once")]
        indexes = [models.Index(fields=["created_at"], condition=models.Q(sent_at__isnull=True),
                                name="update_message_unsent")]

    def __str__(self) -> str:
        return f"{self.recipient} ({self.update_id})"


# --- the public status page ------------------------------------------------------------------------
class ComponentStatus(models.TextChoices):
    """A service's state on the status page, named as Atlassian Statuspage names it (what status
    aggregators and monitoring tools read), worst last."""

    OPERATIONAL = "operational", "Operational"
    DEGRADED = "degraded_performance", "Degraded performance"
    PARTIAL = "partial_outage", "Partial outage"
    MAJOR = "major_outage", "Major outage"


class StatusGroup(models.Model):
    """A heading of the status page that services are listed under ("Collaboration", "Network")."""

    name = models.CharField(max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Groups are listed by position, then name.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["position", "name"]
        verbose_name = "status page group"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.updated_at = timezone.now()
        super().save(*args, **kwargs)


class StatusComponent(models.Model):
    """A service as the status page shows it: under which group, where, and whether at all. Its state
    comes from the open major incidents on the service (`status.state`), unless an incident manager
    has set it by hand (`override`, with the reason the public reads); who set it, and every earlier
    setting, is in its history."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(StatusGroup, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="components")
    position = models.PositiveSmallIntegerField(default=0, help_text="Within its group, by position, then name.")
    shown = models.BooleanField("shown on the status page", default=True)
    override = models.CharField(
        "state set by hand", max_length=20, choices=ComponentStatus.choices, blank=True,
        help_text="Leave empty to show the state the open major incidents give it.")
    override_reason = models.CharField(
        "reason", max_length=300, blank=True,
        help_text="Shown on the status page beside the state, e.g. 'Planned upgrade until 18:00'.")
    override_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", editable=False, verbose_name="set by")
    override_at = models.DateTimeField("set at", null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["group__position", "group__name", "position", "service__name"]
        verbose_name = "status page component"
        constraints = [
            models.CheckConstraint(condition=models.Q(override="") | ~models.Q(override_reason=""),
                                   name="status_override_has_reason"),
        ]

    def __str__(self) -> str:
        return str(self.service)

    def save(self, *args, **kwargs) -> None:
        self.updated_at = timezone.now()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.override and not self.override_reason.strip():
            raise ValidationError({"override_reason": "Say why the state is set by hand: the public reads it."})
