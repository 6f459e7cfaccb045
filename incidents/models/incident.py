"""Incidents, the teams that work them and the configuration that classifies them."""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField
from simple_history.models import HistoricalRecords

from knowledge_base.workflow import State as KnowledgeState

from .. import visibility
from ..workflow import OPEN_STATES, IncidentStateMachine, State, transition_done


class Level(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Priority(models.IntegerChoices):
    P1 = 1, "P1 – Critical"
    P2 = 2, "P2 – High"
    P3 = 3, "P3 – Moderate"
    P4 = 4, "P4 – Low"


class Channel(models.TextChoices):
    PORTAL = "portal", "Portal"
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    MONITORING = "monitoring", "Monitoring"
    WALK_IN = "walk_in", "Walk-in"
    API = "api", "API"


class ResolutionCode(models.TextChoices):
    FIXED = "fixed", "Fixed"
    WORKAROUND = "workaround", "Workaround applied"
    KNOWN_ERROR = "known_error", "Resolved by known error"
    USER_ERROR = "user_error", "User guidance"
    NO_FAULT = "no_fault", "No fault found"
    DUPLICATE = "duplicate", "Duplicate"


class TriageDecision(models.TextChoices):
    UNDECIDED = "", "Undecided"
    KNOWN_ERROR = "known_error", "Known error"
    NEW_ISSUE = "new_issue", "New issue"


class Team(models.Model):
    """A resolver group and its queue. Tier 1 is the service desk."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    tier = models.PositiveSmallIntegerField(default=2, choices=[(1, "Tier 1"), (2, "Tier 2"), (3, "Tier 3")])
    email = models.EmailField(blank=True, help_text="Where team notifications go.")
    security = models.BooleanField(
        "security team", default=False,
        help_text="Its members see every security incident, whichever team works it.",
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    # Membership is access (a Security member sees confidential incidents): who changed it is history.
    history = HistoricalRecords(m2m_fields=[members])

    class Meta:
        ordering = ["tier", "name"]

    def __str__(self) -> str:
        return self.name


def runbook_field(what: str) -> models.ForeignKey:
    """The knowledge-base article the desk follows for incidents of this service or category. Kept
    on this side: the knowledge base knows nothing of incidents. Only a published article may be
    chosen, and one retired later is no longer shown (`selectors.runbook_of`)."""
    return models.ForeignKey(
        "knowledge_base.Article", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        limit_choices_to={"state": KnowledgeState.PUBLISHED},
        help_text=f"The published knowledge-base article to follow at triage for incidents of this {what}.",
    )


class Category(models.Model):
    name = models.CharField(max_length=100, unique=True)
    default_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    confidential = models.BooleanField(
        default=False, help_text="Incidents in this category are visible only to their team and incident managers."
    )
    security = models.BooleanField(
        default=False,
        help_text="Incidents in this category are security incidents: confidential, seen only by the security "
                  "team, incident managers and named participants, with containment, evidence and regulatory clocks.",
    )
    runbook = runbook_field("category")
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """A business or IT service that an incident affects (e-mail, VPN, payroll, ...)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    runbook = runbook_field("service")
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PriorityRule(models.Model):
    """One cell of the impact × urgency matrix."""

    impact = models.CharField(max_length=10, choices=Level.choices)
    urgency = models.CharField(max_length=10, choices=Level.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    history = HistoricalRecords()

    class Meta:
        ordering = ["priority", "impact", "urgency"]
        constraints = [models.UniqueConstraint(fields=["impact", "urgency"], name="priority_rule_unique_cell")]

    def __str__(self) -> str:
        return f"{self.get_impact_display()} impact × {self.get_urgency_display()} urgency → P{self.priority}"


# The SOP's defaults, used when the matrix has no row for a cell.
DEFAULT_MATRIX = {
    ("high", "high"): 1,
    ("high", "medium"): 2, ("medium", "high"): 2,
    ("high", "low"): 3, ("medium", "medium"): 3, ("low", "high"): 3,
    ("medium", "low"): 4, ("low", "medium"): 4, ("low", "low"): 4,
}


def priority_for(impact: str, urgency: str) -> int:
    rule = PriorityRule.objects.filter(impact=impact, urgency=urgency).values_list("priority", flat=True).first()
    return rule if rule is not None else DEFAULT_MATRIX[(impact, urgency)]


class HoldReason(models.Model):
    """What an incident on hold waits for, from a short list the desk keeps (with free text beside
    it on the incident). A reporter's reply resumes an incident that waits for them."""

    name = models.CharField(max_length=80, unique=True)
    waits_for_reporter = models.BooleanField(
        default=False, help_text="A reply from the reporter resumes the incident (and restarts its SLA clock).")
    active = models.BooleanField(default=True, help_text="Offered when putting an incident on hold.")
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


# Created with the schema (post_migrate), editable afterwards.
DEFAULT_HOLD_REASONS = [
    ("Waiting for the user", True), ("Waiting for a vendor", False), ("Waiting for a change", False),
]


class Sequence(models.Model):
    """Counters for human references. One row per kind, incremented under the row lock."""

    name = models.CharField(max_length=30, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"

    @classmethod
    def next_value(cls, name: str) -> int:
        with transaction.atomic():
            # UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) until commit, so two
            # concurrent callers can never read the same value.
            if not cls.objects.filter(name=name).update(value=F("value") + 1):
                cls.objects.get_or_create(name=name)
                cls.objects.filter(name=name).update(value=F("value") + 1)
            return cls.objects.values_list("value", flat=True).get(name=name)


class IncidentQuerySet(models.QuerySet):
    def open(self) -> IncidentQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def visible_to(self, user) -> IncidentQuerySet:
        """The read rule of `roles.can_view`, as SQL: both are `visibility.READ`."""
        return visibility.READ.filter(self, user)

    def seen_internally_by(self, user) -> IncidentQuerySet:
        """The rule of `roles.sees_internal` as SQL (both are `visibility.INTERNAL`): the incidents
        whose whole record (work notes, internal files, the staff timeline) the user reads, which is
        what the admin lists. A staff member's own confidential report is not among them: they
        follow it on the portal."""
        return visibility.INTERNAL.filter(self, user)


class Incident(ConcurrentTransitionMixin, IncidentStateMachine):
    reference = models.CharField(max_length=20, unique=True, editable=False)
    summary = models.CharField(max_length=200)
    # The key of the form submission (or API request) that opened it: the same key twice opens one.
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    description = models.TextField(blank=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reported_incidents",
                                 db_index=False)  # covered by the incident_reporter index
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.PORTAL)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents")
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents",
        verbose_name="affected service",
    )
    impact = models.CharField(max_length=10, choices=Level.choices, default=Level.LOW)
    urgency = models.CharField(max_length=10, choices=Level.choices, default=Level.LOW)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.P4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents",
                             db_index=False)  # covered by the incident_queue index
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_incidents",
        db_index=False,  # covered by the incident_assignee index
    )
    state = FSMField(max_length=20, choices=State.choices, default=State.NEW, protected=True)
    confidential = models.BooleanField(default=False, help_text="Visible only to its team and incident managers.")
    is_major = models.BooleanField("major incident", default=False)
    # A security incident (its category says so, or an incident manager flagged it): confidential,
    # and seen only by the security team, incident managers and its named participants.
    security = models.BooleanField("security incident", default=False, editable=False)
    # An exercise (a drill): it runs the real workflow, clocks and paging, and is kept out of the
    # status page, external stakeholders and the metrics.
    exercise = models.BooleanField("drill", default=False, editable=False)
    # People named on the incident (legal, an outside investigator's contact, a manager from the
    # business) who see it although neither its team nor a manager. Naming and removing one is an
    # event on the timeline (kind security), not m2m history: no extra query on every save.
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="participating_incidents",
                                          blank=True, help_text="Named people who see this incident.")
    parent = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children")
    # A major incident's roles (`incidents.major.declare`): on the row, not in an app of their own,
    # because the incidents' escalation rule declares and the communications' audience reads them,
    # and both sit below the response app. No index: a handful of rows ever carry them.
    commander = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", editable=False, db_index=False,
                                  verbose_name="incident commander")
    comms_lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", editable=False, db_index=False,
                                   verbose_name="communications lead")
    major_since = models.DateTimeField("major incident since", null=True, blank=True, editable=False)

    opened_at = models.DateTimeField(default=timezone.now, editable=False)
    triaged_at = models.DateTimeField(null=True, blank=True, editable=False)
    responded_at = models.DateTimeField("first response", null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    on_hold_since = models.DateTimeField(null=True, blank=True, editable=False)
    hold_kind = models.ForeignKey(HoldReason, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name="waiting for")
    hold_reason = models.CharField(max_length=200, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0, editable=False)
    reopen_count = models.PositiveSmallIntegerField(default=0, editable=False)

    resolution_code = models.CharField(max_length=20, choices=ResolutionCode.choices, blank=True)
    resolution_notes = models.TextField(blank=True)
    workaround = models.TextField(blank=True)
    # The resolve step's record of how restoration was verified (tested in production or staging).
    verification = models.TextField(
        "restoration verified", blank=True,
        help_text="How the fix was tested: in production or staging, by whom, with what result.",
    )

    # Triage against the knowledge base (set by incidents.known_errors, never by a form): the known
    # error this incident is an instance of, or the decision that it is a new issue.
    known_error = models.ForeignKey(
        "knowledge_base.KnownError", on_delete=models.PROTECT, null=True, blank=True, editable=False,
        related_name="incidents", db_index=False,  # covered by the incident_known_error index
    )
    triage_decision = models.CharField(
        max_length=20, choices=TriageDecision.choices, blank=True, default=TriageDecision.UNDECIDED,
        editable=False,
    )

    # Optimistic concurrency for edit forms: a form carries the version it was rendered from.
    version = models.PositiveIntegerField(default=1, editable=False)

    # The SLA clock (kept by incidents.clock; see docs/sla.md). Deadlines are stored so that the
    # sweep finds what is due with one indexed query on `next_due_at`.
    respond_by = models.DateTimeField("respond by", null=True, blank=True, editable=False)
    resolve_by = models.DateTimeField("resolve by", null=True, blank=True, editable=False)
    response_breached = models.BooleanField(default=False, editable=False)
    resolution_breached = models.BooleanField(default=False, editable=False)
    sla_priority = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    sla_cycle = models.PositiveSmallIntegerField(default=0, editable=False)
    # When the clock was started: at the opening, or later for an incident older than the clock
    # (or imported). Thresholds that passed before it are recorded, not acted on.
    sla_started_at = models.DateTimeField("SLA clock started", null=True, blank=True, editable=False)
    response_target = models.PositiveIntegerField(null=True, blank=True, editable=False)
    resolution_target = models.PositiveIntegerField(null=True, blank=True, editable=False)
    sla_calendar = models.ForeignKey(
        "incidents.BusinessCalendar", on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="+",
    )
    clock_paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    unassigned_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_update_at = models.DateTimeField("last stakeholder update", null=True, blank=True, editable=False)
    update_due_at = models.DateTimeField("stakeholder update due", null=True, blank=True, editable=False)
    auto_close_at = models.DateTimeField("closes automatically at", null=True, blank=True, editable=False)
    next_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the current target (response, then resolution) enters its last quarter: "at risk".
    at_risk_from = models.DateTimeField(null=True, blank=True, editable=False)

    objects = IncidentQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at", "version"])

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["state", "priority", "opened_at"], name="incident_state_prio_age"),
            models.Index(fields=["team", "state", "priority", "opened_at"], name="incident_queue"),
            models.Index(fields=["reporter", "-opened_at"], name="incident_reporter"),
            models.Index(fields=["assignee", "state"], name="incident_assignee"),
            # The sweep's one query: only incidents whose clock still has something to do.
            models.Index(fields=["next_due_at"], condition=Q(next_due_at__isnull=False), name="incident_sla_due"),
            # Recurrence counting: incidents of one known error opened within the window.
            models.Index(fields=["known_error", "opened_at"], name="incident_known_error"),
            models.Index(fields=["triage_decision", "state"], name="incident_triage_decision"),
            # The admin list's order (newest first, then pk), unfiltered and filtered by team and state:
            # without these the database sorts every matching row to show 50 (docs/performance.md).
            models.Index(fields=["-opened_at", "-id"], name="incident_newest"),
            models.Index(fields=["team", "state", "-opened_at", "-id"], name="incident_team_state_newest"),
            # The staff home's figures over the last 7 and 30 days (MTTR, SLA met, open by day): the
            # incidents resolved since a date, a few thousand of 100k, without reading the rest.
            models.Index(fields=["resolved_at"], name="incident_resolved"),
            # Its major incidents, newest first: a handful of rows, where a walk of the newest-first
            # index looking for them would read the whole table when few are open.
            models.Index(fields=["-opened_at"], condition=Q(is_major=True), name="incident_major"),
        ]
        permissions = [
            ("triage_incident", "Can triage incidents"),
            ("work_incident", "Can work incidents from a team queue"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.summary}"

    def get_absolute_url(self) -> str:
        return reverse("portal:incident_detail", args=[self.reference])

    def save(self, *args, **kwargs) -> None:
        if not self.reference:
            self.reference = f"INC-{Sequence.next_value('incident'):06d}"
        if self.pk is not None:
            self.version = (self.version or 0) + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version", "updated_at"}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def apply_classification(self) -> None:
        """Derive priority from the matrix, and team/confidentiality from the category."""
        self.priority = priority_for(self.impact, self.urgency)
        if self.category_id is not None:
            category = self.category
            if self.team_id is None:
                self.team_id = category.default_team_id
            if category.confidential:
                self.confidential = True
            if category.security:
                # Read by the triage that did it, to say so on the timeline (`security.on_incident_transitioned`).
                self.became_security = not self.security
                self.security = True
                self.confidential = True


class Comment(models.Model):
    """A public reply (the reporter sees it) or an internal work note."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    public = models.BooleanField(default=False, help_text="Public replies are visible to the reporter.")
    # What people type is shown as typed; a reply written from a known error carries its Markdown
    # (lists, **bold**), which pages render through the sanitised Markdown of the knowledge base.
    markdown = models.BooleanField(default=False, editable=False, help_text="The body is Markdown, shown rendered.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["incident", "created_at"], name="comment_incident")]

    def __str__(self) -> str:
        return f"{'Reply' if self.public else 'Work note'} on {self.incident_id} by {self.author_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.incident.reference}/{filename}"


class Attachment(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    public = models.BooleanField(default=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class EventKind(models.TextChoices):
    CREATED = "created", "Opened"
    TRANSITION = "transition", "State change"
    COMMENT = "comment", "Comment"
    ASSIGNMENT = "assignment", "Assignment"
    CLASSIFICATION = "classification", "Classification"
    ATTACHMENT = "attachment", "Attachment"
    SLA_WARNING = "sla_warning", "SLA warning"
    SLA_BREACH = "sla_breach", "SLA breached"
    ESCALATION = "escalation", "Escalation"
    PAGE = "page", "Page"
    AUTO_CLOSE = "auto_close", "Automatic close"
    KNOWN_ERROR_LINKED = "known_error_linked", "Known error applied"
    ALERT = "alert", "Monitoring alert"
    UPDATE = "update", "Stakeholder update"
    MAJOR = "major", "Major incident"
    LINK = "link", "Linked incidents"
    SECURITY = "security", "Security incident"
    CONTAINMENT = "containment", "Containment step"
    EVIDENCE = "evidence", "Evidence"
    NOTICE = "notice", "Notice to legal or compliance"
    REGULATORY = "regulatory", "Regulatory clock"
    FORENSICS = "forensics", "External forensics"
    DRILL = "drill", "Drill"


class IncidentEvent(models.Model):
    """One entry of an incident's timeline, written in the same transaction as the change.

    Notifications are sent by a task that is given the event's id after commit.
    """

    # No index of its own: the (incident, created_at) index starts with it.
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    transition = models.CharField(max_length=30, blank=True)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    message = models.TextField(blank=True)
    public = models.BooleanField(default=False, help_text="Shown to the reporter.")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["incident", "created_at"], name="event_incident")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.transition} on {self.incident_id}"

    @property
    def headline(self) -> str:
        """What happened, in words ("Triaged", "Known error applied"), for the timelines."""
        return transition_done(self.transition) if self.kind == EventKind.TRANSITION else self.get_kind_display()


class Notification(models.Model):
    """A message owed to someone about an event. The row is written in the transaction that
    records the event, under a unique constraint, so that a message is owed even when no task
    could be queued (the outbox relay queues it later), and a retried or duplicated task never
    sends twice."""

    # No index of its own: the unique (event, channel, recipient) index starts with it.
    event = models.ForeignKey(IncidentEvent, on_delete=models.CASCADE, related_name="notifications", db_index=False)
    channel = models.CharField(max_length=20, default="email")
    recipient = models.CharField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "channel", "recipient"], name="notification_once"),
        ]
        indexes = [
            # The outbox relay's question, every minute: what is owed and still unsent? Only the
            # unsent rows are in it, so it stays small however many messages were ever sent.
            models.Index(fields=["created_at"], condition=Q(sent_at__isnull=True), name="notification_unsent"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} for event {self.event_id}"
