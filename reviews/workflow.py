"""The review and action-item state machines: states, transitions, guards and who may take them.

Transitions only change the instance; `services.review_transition` / `services.action_item_transition`
lock the row, call one, and save it once (one history row with the actor and the reason). The admin
buttons go through those services, so a guard written here holds everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone
from django_fsm import transition

from core.transitions import guard
from incidents import roles

if TYPE_CHECKING:
    from .models import ActionItem, PostIncidentReview


class ReviewState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"


class ActionState(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    WONT_DO = "wont_do", "Won't do"


# Action items that still owe work: these can be overdue, and these get reminders.
OPEN_ACTION_STATES = (ActionState.OPEN, ActionState.IN_PROGRESS)


# --- Review guards ------------------------------------------------------------------------------
@guard("A review cannot be published without a root cause.")
def has_root_cause(review: PostIncidentReview) -> bool:
    return bool((review.root_cause or "").strip())


@guard("Add at least one action item, or state why no action is needed, before publishing.")
def has_actions_or_reason(review: PostIncidentReview) -> bool:
    if (review.no_action_reason or "").strip():
        return True
    return review.pk is not None and review.action_items.exists()


# --- Review permissions: (review, user) -> bool -------------------------------------------------
def may_submit(review: PostIncidentReview, user) -> bool:
    return review.owner_id == user.pk or roles.is_incident_manager(user)


def may_approve(review: PostIncidentReview, user) -> bool:
    # Publishing is the incident manager's sign-off, even when someone else wrote the review.
    return roles.is_incident_manager(user)


class ReviewStateMachine(models.Model):
    class Meta:
        abstract = True

    @transition(field="state", source=ReviewState.DRAFT, target=ReviewState.IN_REVIEW,
                permission=may_submit, custom={"label": "Submit for review"})
    def submit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(field="state", source=ReviewState.IN_REVIEW, target=ReviewState.DRAFT,
                permission=may_approve, custom={"label": "Request changes"})
    def request_changes(self) -> None:
        pass

    @transition(field="state", source=ReviewState.IN_REVIEW, target=ReviewState.PUBLISHED,
                conditions=[has_root_cause, has_actions_or_reason], permission=may_approve,
                custom={"label": "Publish", "four_eyes": True})
    def publish(self) -> None:
        self.published_at = timezone.now()


# --- Action item guards and permissions ---------------------------------------------------------
@guard("Say why this action will not be done.")
def has_wont_do_reason(item: ActionItem) -> bool:
    return bool((item.wont_do_reason or "").strip())


def may_work_item(item: ActionItem, user) -> bool:
    """The owner, a member of the owning team, the review's owner or an incident manager."""
    return (
        item.owner_id == user.pk
        or roles.is_incident_manager(user)
        or (item.team_id is not None and roles.is_member(user, item.team_id))
        or item.review.owner_id == user.pk
    )


def may_drop_item(item: ActionItem, user) -> bool:
    # Deciding not to fix something is the review owner's or a manager's call, not the assignee's.
    return roles.is_incident_manager(user) or item.review.owner_id == user.pk


class ActionItemStateMachine(models.Model):
    class Meta:
        abstract = True

    @transition(field="state", source=ActionState.OPEN, target=ActionState.IN_PROGRESS,
                permission=may_work_item, custom={"label": "Start"})
    def start(self) -> None:
        pass

    @transition(field="state", source=[ActionState.OPEN, ActionState.IN_PROGRESS], target=ActionState.DONE,
                permission=may_work_item, custom={"label": "Mark done"})
    def complete(self) -> None:
        self.completed_at = timezone.now()

    @transition(field="state", source=[ActionState.OPEN, ActionState.IN_PROGRESS], target=ActionState.WONT_DO,
                conditions=[has_wont_do_reason], permission=may_drop_item,
                custom={"label": "Won't do", "needs_reason": "Say why this action will not be done."})
    def drop(self) -> None:
        self.completed_at = timezone.now()

    @transition(field="state", source=[ActionState.DONE, ActionState.WONT_DO], target=ActionState.OPEN,
                permission=may_work_item, custom={"label": "Reopen"})
    def reopen(self) -> None:
        self.completed_at = None
        self.wont_do_reason = ""
