"""Incident models, one module per concern; import them from here."""

from .incident import (
    DEFAULT_MATRIX,
    Attachment,
    Category,
    Channel,
    Comment,
    EventKind,
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
    attachment_path,
    priority_for,
)

__all__ = [
    "DEFAULT_MATRIX", "Attachment", "Category", "Channel", "Comment", "EventKind", "Incident", "IncidentEvent",
    "IncidentQuerySet", "Level", "Notification", "Priority", "PriorityRule", "ResolutionCode", "Sequence",
    "Service", "Team", "attachment_path", "priority_for",
]
