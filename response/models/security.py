"""The security response of an incident: containment checklist, evidence and its chain of custody,
notices to legal and compliance, external forensics and the customers affected.

What is a record stays a record: evidence, its custody log, the notices sent and the forensics
engaged hold their incident with PROTECT, so an incident that has any of them cannot be deleted
(a security incident's record is under legal hold); evidence itself refuses `delete()` and is only
ever superseded by another item, with a reason.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.utils import timezone

from incidents.models import Category, Incident

__all__ = [
    "AffectedCustomer", "ContainmentItem", "ContainmentStep", "CustodyAction", "CustodyEntry", "Evidence",
    "EvidenceKind", "ForensicsEngagement", "Notice", "NoticeMessage", "NoticeRecipient", "NoticeRole",
]


class ContainmentItem(models.Model):
    """One step of a category's containment checklist, as configured (admin-editable, ordered)."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    label = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0, help_text="Steps are listed by position.")

    class Meta:
        ordering = ["category__name", "position", "pk"]
        verbose_name = "containment checklist item"
        constraints = [models.UniqueConstraint(fields=["category", "label"], name="containment_item_once")]

    def __str__(self) -> str:
        return f"{self.category}: {self.label}"


class ContainmentStep(models.Model):
    """One step of an incident's own checklist, copied from its category's when the incident first
    needed one, so that editing the configuration later does not rewrite what was done."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="containment_steps", db_index=False)
    position = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=200)
    done = models.BooleanField(default=False)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["incident", "position"]
        verbose_name = "containment step"
        constraints = [models.UniqueConstraint(fields=["incident", "position"], name="containment_step_once")]

    def __str__(self) -> str:
        return self.label


class EvidenceKind(models.TextChoices):
    FILE = "file", "File"
    NOTE = "note", "Note"


def evidence_path(instance: Evidence, filename: str) -> str:
    # A random directory per item: two items of the same name never share (or overwrite) a file.
    return f"evidence/{instance.incident.reference}/{uuid.uuid4().hex}/{filename}"


class Evidence(models.Model):
    """A file or a note kept as evidence, with the SHA-256 and size of what was collected."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(max_length=10, choices=EvidenceKind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    file = models.FileField(upload_to=evidence_path, blank=True, max_length=300)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    note = models.TextField(blank=True, help_text="The note itself, for evidence that is not a file.")
    size = models.PositiveBigIntegerField(help_text="In bytes (a note's: of its UTF-8 text).")
    sha256 = models.CharField("SHA-256", max_length=64)
    collected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    collected_at = models.DateTimeField(help_text="When it was collected (in the field, if before it was recorded).")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    holder = models.CharField(max_length=200, help_text="Who holds it now (changed by a hand-over).")
    superseded_by = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="supersedes")
    supersede_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["incident", "recorded_at", "pk"]
        verbose_name_plural = "evidence"
        default_permissions = ("add", "change", "view")  # no delete permission: evidence is never deleted
        indexes = [models.Index(fields=["incident", "recorded_at"], name="evidence_incident")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=EvidenceKind.FILE) & ~Q(file="")) | (Q(kind=EvidenceKind.NOTE) & Q(file="")),
                name="evidence_file_or_note",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def delete(self, *args, **kwargs):
        raise models.ProtectedError("Evidence is never deleted; supersede it with a reason instead.", {self})

    @property
    def current(self) -> bool:
        return self.superseded_by_id is None


class CustodyAction(models.TextChoices):
    COLLECTED = "collected", "Collected"
    VIEWED = "viewed", "Viewed"
    DOWNLOADED = "downloaded", "Downloaded (hash verified)"
    REFUSED = "refused", "Download refused (hash mismatch)"
    HANDED_OVER = "handed_over", "Handed over"
    SUPERSEDED = "superseded", "Superseded"


class CustodyEntry(models.Model):
    """One line of an item's chain of custody: every collection, view, download, hand-over and
    supersede, with who and when. Written only by the services, never changed."""

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="custody", db_index=False)
    action = models.CharField(max_length=20, choices=CustodyAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    from_holder = models.CharField(max_length=200, blank=True)
    to_holder = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    # A download's hash check: the digest computed from the stored bytes, and whether it matched.
    sha256 = models.CharField("SHA-256 computed", max_length=64, blank=True)
    hash_ok = models.BooleanField("hash matched", null=True, blank=True)

    class Meta:
        ordering = ["evidence", "at", "pk"]
        verbose_name = "custody entry"
        verbose_name_plural = "chain of custody"
        default_permissions = ("view",)
        indexes = [models.Index(fields=["evidence", "at"], name="custody_evidence")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor_id} at {self.at:%Y-%m-%d %H:%M}"


class NoticeRole(models.TextChoices):
    LEGAL = "legal", "Legal"
    COMPLIANCE = "compliance", "Compliance"


class NoticeRecipient(models.Model):
    """Who legal and compliance are: a named address, or a group whose active members hear it."""

    role = models.CharField(max_length=20, choices=NoticeRole.choices)
    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                              help_text="Every active member with an address hears it.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["role", "name", "pk"]
        verbose_name = "notice recipient"
        constraints = [
            models.CheckConstraint(condition=(~Q(email="") & Q(group__isnull=True)) | (Q(email="") & Q(group__isnull=False)),
                                   name="notice_recipient_address_or_group"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.name}"


class Notice(models.Model):
    """A notice sent to legal or compliance: who sent it, from which template, the text as sent."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="notices")
    role = models.CharField(max_length=20, choices=NoticeRole.choices)
    template = models.ForeignKey("comms.Template", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["incident", "created_at", "pk"]
        default_permissions = ("add", "view")
        indexes = [models.Index(fields=["incident", "created_at"], name="notice_incident")]

    def __str__(self) -> str:
        return self.subject


class NoticeMessage(models.Model):
    """One e-mail a notice owes (`core.outbox`): written with the notice, sent after commit, once."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="messages", db_index=False)
    recipient = models.CharField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        default_permissions = ("view",)
        constraints = [models.UniqueConstraint(fields=["notice", "recipient"], name="notice_message_once")]
        indexes = [models.Index(fields=["created_at"], condition=Q(sent_at__isnull=True), name="notice_message_unsent")]

    def __str__(self) -> str:
        return f"{self.recipient} ({'sent' if self.sent_at else 'owed'})"


class ForensicsEngagement(models.Model):
    """An outside forensics firm engaged on the incident."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="forensics")
    firm = models.CharField(max_length=200)
    contact = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=100, blank=True, help_text="The firm's case or contract reference.")
    engaged_at = models.DateTimeField()
    engaged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(blank=True)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["incident", "engaged_at", "pk"]
        verbose_name = "forensics engagement"
        default_permissions = ("add", "view")
        indexes = [models.Index(fields=["incident", "engaged_at"], name="forensics_incident")]

    def __str__(self) -> str:
        return self.firm


class AffectedCustomer(models.Model):
    """A customer the incident affected: the communications' "affected customers" audience."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected_customers",
                                 db_index=False)
    name = models.CharField(max_length=200)
    email = models.EmailField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["incident", "name", "pk"]
        verbose_name = "affected customer"
        default_permissions = ("add", "view", "delete")
        constraints = [models.UniqueConstraint(fields=["incident", "email"], name="affected_customer_once")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"
