"""Communication templates: what the organisation says, worded once, for each moment of an incident
and each channel, edited by incident managers with history.

A template's text is Jinja2, rendered in a sandbox over the incident's public fields only
(`rendering`); a template that does not compile or names an unknown variable is refused when it
is saved, with the line and the variables it may use.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from jinja2 import TemplateError
from simple_history.models import HistoricalRecords

from core.text import mail_subject

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
