"""E-mail intake: the mailboxes read, and every message received, kept once by its Message-ID.

A `Mailbox` is either an IMAP mailbox that the beat task reads, or a pipe: a mail server that
POSTs each raw message to /api/v1/intake/email/ with a token of the mailbox's own account. The
IMAP password is never stored here: `password_env` names the environment variable that holds it.

An `InboundMessage` is written for every message, whatever became of it (an incident, a comment,
ignored as an auto-reply, refused, quarantined). Its unique `message_key` (the Message-ID, or a
digest of the raw bytes when a message has none) is what makes processing exactly-once: a message
read twice (the task ran twice, the worker died before flagging it) finds its row and stops.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from incidents.models import Category, Incident, Team

ENV_NAME = RegexValidator(r"^[A-Z_][A-Z0-9_]*$", "An environment variable's name, e.g. ITSM_IMAP_PASSWORD_DESK.")


class MailboxKind(models.TextChoices):
    IMAP = "imap", "IMAP (read by the beat task)"
    PIPE = "pipe", "Pipe (the mail server POSTs raw messages)"


class TlsMode(models.TextChoices):
    SSL = "ssl", "TLS from the start (port 993)"
    STARTTLS = "starttls", "STARTTLS (port 143)"
    NONE = "none", "None (a server on this host only)"


class UnknownSenders(models.TextChoices):
    CREATE = "create", "Create a reporter account for them"
    REFUSE = "refuse", "Refuse, with a reply that says how to report"


class Mailbox(models.Model):
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=MailboxKind.choices, default=MailboxKind.IMAP)
    address = models.EmailField(help_text="The address people write to (e.g. servicedesk@example.com). Mail from "
                                          "it is ours coming back, and ignored.")
    active = models.BooleanField(default=True)
    host = models.CharField(max_length=255, blank=True)
    port = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: 993 with TLS, 143 otherwise.")
    tls = models.CharField("TLS", max_length=10, choices=TlsMode.choices, default=TlsMode.SSL)
    folder = models.CharField(max_length=200, default="INBOX")
    username = models.CharField(max_length=200, blank=True)
    password_env = models.CharField(
        "password variable", max_length=100, blank=True, validators=[ENV_NAME],
        help_text="The environment variable that holds the password; the password itself is never stored.",
    )
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="intake_mailbox",
        editable=False, help_text="A pipe mailbox's account, whose tokens post its messages.",
    )
    unknown_senders = models.CharField(max_length=10, choices=UnknownSenders.choices, default=UnknownSenders.REFUSE)
    default_category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    default_team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == MailboxKind.IMAP:
            missing = [label for label, value in (("host", self.host), ("username", self.username),
                                                  ("password variable", self.password_env)) if not value]
            if missing:
                raise ValidationError(f"An IMAP mailbox needs its {', '.join(missing)}.")

    @property
    def imap_port(self) -> int:
        return self.port or (993 if self.tls == TlsMode.SSL else 143)


class MessageOutcome(models.TextChoices):
    OPENED = "opened", "Opened an incident"
    COMMENTED = "commented", "Added a reply"
    REOPENED = "reopened", "Reopened an incident"
    IGNORED = "ignored", "Ignored (auto-reply, bounce, list or loop)"
    REFUSED = "refused", "Refused (unknown sender)"
    RATE_LIMITED = "rate_limited", "Refused (too many from this sender)"
    QUARANTINED = "quarantined", "Quarantined (could not be processed)"
    RELEASED = "released", "Released from quarantine"


def raw_path(message: InboundMessage, filename: str) -> str:
    return f"intake/{timezone.now():%Y/%m}/{message.message_digest}.eml"


class InboundMessage(models.Model):
    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="messages")
    message_key = models.CharField(max_length=255, unique=True, editable=False,
                                   help_text="The Message-ID, or sha256:<digest of the raw message> without one.")
    message_digest = models.CharField(max_length=64, editable=False)
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(default=timezone.now, editable=False)
    outcome = models.CharField(max_length=20, choices=MessageOutcome.choices)
    reason = models.TextField(blank=True, help_text="Why it was ignored, refused or quarantined.")
    incident = models.ForeignKey(Incident, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="inbound_messages")
    # The raw message, kept for a quarantined one (never lost) and for the record.
    raw = models.FileField(upload_to=raw_path, blank=True)
    size = models.PositiveIntegerField(default=0)
    rejected_attachments = models.JSONField(default=list, blank=True,
                                            help_text="Attachments refused by the upload checks, with why.")
    # A refused message is owed one reply (intake.mail.replies): sent when this is set.
    reply_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            # The per-sender rate limit asks how many came from one sender lately.
            models.Index(fields=["sender", "received_at"], name="inbound_sender_recent"),
            models.Index(fields=["outcome", "received_at"], name="inbound_outcome"),
        ]
        permissions = [("release_inboundmessage", "Can release a quarantined message")]

    def __str__(self) -> str:
        return f"{self.sender or '(no sender)'}: {self.subject[:60]}"
