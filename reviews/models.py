"""Post-incident reviews, their timeline, their action items and the reminders those items owe."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField
from simple_history.models import HistoricalRecords

from incidents.models import Incident, IncidentEvent, Team

from .workflow import OPEN_ACTION_STATES, ActionItemStateMachine, ActionState, ReviewState, ReviewStateMachine


class Trigger(models.TextChoices):
    """Why the review exists."""

    PRIORITY = "priority", "P1/P2 incident"
    RECURRING = "recurring", "Recurring incident"
    MANUAL = "manual", "Started by hand"


class PostIncidentReview(ConcurrentTransitionMixin, ReviewStateMachine):
    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="review")
    # Null only when no incident manager exists to own it; the admin list shows those as unowned.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="owned_reviews"
    )
    state = FSMField(max_length=20, choices=ReviewState.choices, default=ReviewState.DRAFT, protected=True)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.MANUAL, editable=False)
    required = models.BooleanField(default=False, editable=False, help_text="Required by the review policy.")

    summary = models.TextField(blank=True)
    customer_impact = models.TextField(blank=True)
    root_cause = models.TextField(blank=True)
    contributing_factors = models.TextField(blank=True)
    what_went_well = models.TextField(blank=True)
    what_went_poorly = models.TextField(blank=True)
    lessons_learned = models.TextField(blank=True)
    no_action_reason = models.TextField(
        "no action needed because", blank=True,
        help_text="Publishing needs at least one action item, or this reason.",
    )

    # A proposed known error: kept here so the proposal survives even if the knowledge base refuses it.
    proposed_known_error_title = models.CharField(max_length=200, blank=True)
    proposed_known_error_symptoms = models.TextField(blank=True)
    proposed_known_error_workaround = models.TextField(blank=True)
    known_error_proposed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The draft the proposal created in the knowledge base (which does not know about reviews).
    known_error = models.ForeignKey(
        "knowledge_base.KnownError", on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="proposing_reviews",
    )

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "post-incident review"
        indexes = [models.Index(fields=["state", "created_at"], name="review_state_age")]

    def __str__(self) -> str:
        return f"{self.reference} for {self.incident.reference}" if self.incident_id else self.reference

    @property
    def reference(self) -> str:
        return f"PIR-{self.pk}" if self.pk else "PIR-(new)"

    @property
    def blocks_close(self) -> bool:
        """Required P1/P2 reviews hold the incident open until published (ITSM_REVIEW_BLOCKS_CLOSE)."""
        return self.required and self.trigger == Trigger.PRIORITY

    @property
    def is_published(self) -> bool:
        return self.state == ReviewState.PUBLISHED


class TimelineEntry(models.Model):
    """One line of what happened. Drafted from the incident's events; people add, edit and strike
    lines. A struck line stays in the record, shown struck, so corrections remain visible."""

    review = models.ForeignKey(PostIncidentReview, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField()
    kind = models.CharField(max_length=30, blank=True, help_text="The kind of incident event it was drafted from.")
    source_event = models.ForeignKey(
        IncidentEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    struck = models.BooleanField(default=False, help_text="Struck through: kept in the record, marked as wrong.")
    added_by_hand = models.BooleanField(default=False, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "timeline entries"
        constraints = [
            # Drafting twice (a retried task, a "redraft" click) never copies an event twice.
            models.UniqueConstraint(
                fields=["review", "source_event"], condition=Q(source_event__isnull=False),
                name="timeline_event_once",
            ),
        ]
        indexes = [models.Index(fields=["review", "at"], name="timeline_review_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.text[:60]}"


class ActionPriority(models.IntegerChoices):
    HIGH = 1, "High"
    MEDIUM = 2, "Medium"
    LOW = 3, "Low"


class ActionItemQuerySet(models.QuerySet):
    def overdue(self, today=None) -> ActionItemQuerySet:
        today = today or timezone.localdate()
        return self.filter(state__in=OPEN_ACTION_STATES, due_date__lt=today)


class ActionItem(ConcurrentTransitionMixin, ActionItemStateMachine):
    review = models.ForeignKey(PostIncidentReview, on_delete=models.CASCADE, related_name="action_items")
    description = models.TextField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="action_items")
    due_date = models.DateField()
    priority = models.PositiveSmallIntegerField(choices=ActionPriority.choices, default=ActionPriority.MEDIUM)
    state = FSMField(max_length=20, choices=ActionState.choices, default=ActionState.OPEN, protected=True)
    wont_do_reason = models.TextField("reason it won't be done", blank=True)
    link_url = models.URLField("link", blank=True, help_text="The ticket, change or pull request doing the work.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ActionItemQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "priority", "pk"]
        indexes = [
            # The daily reminder sweep: open items whose due date has passed.
            models.Index(fields=["state", "due_date"], name="action_state_due"),
            models.Index(fields=["owner", "state"], name="action_owner_state"),
        ]

    def __str__(self) -> str:
        return self.description[:80]

    @property
    def safe_link_url(self) -> str:
        """The link, if it is a web address: pages render it as an anchor."""
        return self.link_url if self.link_url.lower().startswith(("https://", "http://")) else ""

    def is_overdue(self, today=None) -> bool:
        return self.state in OPEN_ACTION_STATES and self.due_date < (today or timezone.localdate())


class ReminderKind(models.TextChoices):
    REMINDER = "reminder", "Overdue reminder to the owner"
    ESCALATION = "escalation", "Escalation to the incident manager"


class Reminder(models.Model):
    """A message owed about an overdue action item. The row is written, under its unique
    constraints, before the mail is sent: however often the sweep runs, an item gets one reminder a
    day and one escalation ever."""

    action_item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    day = models.DateField()
    recipient = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-day", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["action_item", "day", "kind"], name="reminder_once_a_day"),
            models.UniqueConstraint(
                fields=["action_item"], condition=Q(kind="escalation"), name="reminder_escalate_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for action {self.action_item_id} on {self.day}"
