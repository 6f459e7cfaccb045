"""Known errors, articles and the deflections they earn on the portal.

Bodies are Markdown, rendered sanitised by `rendering.render_markdown`. Search indexes are not
model fields: on PostgreSQL each table has a generated `search_vector` column (migration 0002),
on SQLite an FTS5 table per model kept in step by `search_index` (see docs/matching.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .rendering import render_markdown
from .workflow import PublishWorkflow, State


class FixStatus(models.TextChoices):
    NONE = "none", "None"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    FIXED = "fixed", "Fixed"


class Audience(models.TextChoices):
    INTERNAL = "internal", "Internal (staff only)"
    PUBLIC = "public", "Public (end users)"


class ArticleKind(models.TextChoices):
    HOW_TO = "how_to", "How-to"
    FAQ = "faq", "FAQ"


class Category(models.Model):
    """The knowledge base's own grouping (Network, E-mail, Hardware, ...), independent of how
    incidents are classified."""

    name = models.CharField(max_length=100, unique=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class KnowledgeQuerySet(models.QuerySet):
    def published(self) -> KnowledgeQuerySet:
        return self.filter(state=State.PUBLISHED)


class KnownError(PublishWorkflow):
    """A problem whose cause is known and which has a workaround (ITIL "known error")."""

    title = models.CharField(max_length=200)
    symptoms = models.TextField(blank=True, help_text="What users see and report. Markdown.")
    root_cause = models.TextField(blank=True, help_text="Markdown.")
    workaround = models.TextField(blank=True, help_text="Steps that restore service until the fix. Markdown.")
    fix_status = models.CharField(
        "permanent fix", max_length=20, choices=FixStatus.choices, default=FixStatus.NONE, db_index=True
    )
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="known_errors"
    )
    affected_service = models.CharField(max_length=100, blank=True)
    public = models.BooleanField(
        "workaround is public", default=False, help_text="The workaround may be shown to end users on the portal."
    )
    needs_permanent_fix = models.BooleanField(
        default=False, db_index=True,
        help_text="Set when incidents keep recurring; clears when the permanent fix is delivered.",
    )
    recurrence_count = models.PositiveIntegerField(
        default=0, editable=False, help_text="Linked incidents within the recurrence window, as last reported."
    )
    recurrence_flagged_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = KnowledgeQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["state", "public"], name="kb_knownerror_state_public")]
        permissions = [("publish_knownerror", "Can publish and retire known errors")]

    def __str__(self) -> str:
        return self.title

    def has_content(self) -> bool:
        return bool((self.symptoms or "").strip() and (self.workaround or "").strip())

    @property
    def symptoms_html(self) -> str:
        return render_markdown(self.symptoms)

    @property
    def root_cause_html(self) -> str:
        return render_markdown(self.root_cause)

    @property
    def workaround_html(self) -> str:
        return render_markdown(self.workaround)


class Article(PublishWorkflow):
    """A how-to or FAQ. Public articles are offered to end users; internal ones only to staff."""

    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=ArticleKind.choices, default=ArticleKind.HOW_TO)
    body = models.TextField(blank=True, help_text="Markdown.")
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.INTERNAL, db_index=True)
    category = models.ForeignKey(Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="articles")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = KnowledgeQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["title"]
        permissions = [("publish_article", "Can publish and retire articles")]

    def __str__(self) -> str:
        return self.title

    def has_content(self) -> bool:
        return bool((self.body or "").strip())

    @property
    def body_html(self) -> str:
        return render_markdown(self.body)


class Deflection(models.Model):
    """Someone searched before asking and a suggestion solved it, so no incident was opened."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField(help_text="What they typed (truncated).")
    known_error = models.ForeignKey(
        KnownError, on_delete=models.CASCADE, null=True, blank=True, related_name="deflections"
    )
    article = models.ForeignKey(Article, on_delete=models.CASCADE, null=True, blank=True, related_name="deflections")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(known_error__isnull=False, article__isnull=True)
                           | Q(known_error__isnull=True, article__isnull=False)),
                name="deflection_solved_by_one_item",
            )
        ]

    def __str__(self) -> str:
        return f"{self.solved_by} ({self.created_at:%Y-%m-%d})"

    @property
    def solved_by(self) -> KnownError | Article | None:
        return self.known_error or self.article
