"""Admin registrations for reviews (imported by the admin's autodiscovery)."""

from .action_items import ActionItemAdmin
from .reminders import ReminderAdmin
from .reviews import PostIncidentReviewAdmin

__all__ = ["ActionItemAdmin", "PostIncidentReviewAdmin", "ReminderAdmin"]
