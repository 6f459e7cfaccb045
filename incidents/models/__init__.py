"""Incident models, one module per concern; import them from here."""

from .incident import (
    DEFAULT_HOLD_REASONS,
    DEFAULT_MATRIX,
    Attachment,
    Category,
    Channel,
    Comment,
    EventKind,
    HoldReason,
    Incident,
    IncidentEvent,
    IncidentQuerySet,
    Level,
    Notification,
    Priority,
    PriorityRule,
    ResolutionCode,
    Sequence,
    Service,
    Team,
    TriageDecision,
    attachment_path,
    priority_for,
)
from .oncall import Handoff, HandoffNote, Page, Rotation, RotationMember, RotationOverride
from .sla import (
    Action,
    BusinessCalendar,
    BusinessHours,
    Escalation,
    EscalationPath,
    EscalationRule,
    Holiday,
    SlaConfigStamp,
    SlaPolicy,
    Trigger,
)

__all__ = [
    "DEFAULT_HOLD_REASONS", "DEFAULT_MATRIX", "Attachment", "Category", "Channel", "Comment", "EventKind", "HoldReason", "Incident",
    "IncidentEvent",
    "IncidentQuerySet", "Level", "Notification", "Priority", "PriorityRule", "ResolutionCode", "Sequence",
    "Service", "Team", "TriageDecision", "attachment_path", "priority_for",
    # SLA clock, escalation and on-call
    "Action", "BusinessCalendar", "BusinessHours", "Escalation", "EscalationPath", "EscalationRule", "Holiday",
    "Handoff", "HandoffNote", "Page", "Rotation", "RotationMember", "RotationOverride", "SlaConfigStamp",
    "SlaPolicy", "Trigger",
]
