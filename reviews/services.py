"""Every write to a review or an action item goes through here: admin views, tasks and tests call
these functions. Each one locks what it changes, checks who is asking, and saves once (one history
row with the actor and a reason)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import WorkflowError
from core.transitions import TransitionInfo, Transitions
from incidents import roles
from incidents import services as incident_services
from incidents.models import Incident
from incidents.workflow import State
from knowledge_base import services as kb_services

from . import timeline
from .models import ActionItem, PostIncidentReview, Trigger
from .workflow import ReviewState

logger = logging.getLogger(__name__)

__all__ = [
    "WorkflowError", "create_required_review", "default_owner", "is_recurring", "register_recurrence_check",
    "required_trigger", "review_close_gate", "review_start", "review_transition", "action_item_transition",
]

# Priorities whose incidents always need a review, and whose review holds the incident open.
REVIEW_PRIORITIES = (1, 2)


# --- Who owns a review --------------------------------------------------------------------------
def default_owner():
    """The user named by ITSM_REVIEW_OWNER, else the first active incident manager, else None."""
    User = get_user_model()
    username = getattr(settings, "ITSM_REVIEW_OWNER", "")
    if username:
        owner = User.objects.filter(**{User.USERNAME_FIELD: username, "is_active": True}).first()
        if owner is not None:
            return owner
        logger.warning("ITSM_REVIEW_OWNER=%r is not an active user; using the first incident manager", username)
    return User.objects.filter(is_active=True, groups__name=roles.INCIDENT_MANAGER).order_by("pk").first()


# --- When a review is required ------------------------------------------------------------------
RecurrenceCheck = Callable[[Incident], bool]
RECURRENCE_CHECKS: list[RecurrenceCheck] = []


def register_recurrence_check(check: RecurrenceCheck) -> RecurrenceCheck:
    """Add a way of recognising a recurring incident (the knowledge base adds "same known error")."""
    if check not in RECURRENCE_CHECKS:
        RECURRENCE_CHECKS.append(check)
    return check


@register_recurrence_check
def same_category_and_service(incident: Incident) -> bool:
    """The recurrence rule of the knowledge base (by default three or more incidents in 30 days:
    `kb_services.recurrence_threshold` and `recurrence_window`) applied to the incidents with this
    one's category and service, opened in the window up to its resolution. Cancelled incidents were
    withdrawn, so they do not count."""
    if incident.category_id is None or incident.service_id is None:
        return False
    threshold = kb_services.recurrence_threshold()
    until = incident.resolved_at or timezone.now()
    others = (
        Incident.objects.filter(
            category_id=incident.category_id, service_id=incident.service_id,
            opened_at__gt=kb_services.recurrence_window_start(until), opened_at__lte=until,
        )
        .exclude(pk=incident.pk)
        .exclude(state=State.CANCELLED)
    )
    return others[: threshold - 1].count() + 1 >= threshold


def is_recurring(incident: Incident) -> bool:
    """Whether the incident is one of a series; any registered check may say so."""
    return any(check(incident) for check in RECURRENCE_CHECKS)


def required_trigger(incident: Incident) -> str | None:
    """Why the review policy requires a review of this incident, or None when it does not."""
    if incident.priority in REVIEW_PRIORITIES:
        return Trigger.PRIORITY
    if is_recurring(incident):
        return Trigger.RECURRING
    return None


# --- Creating reviews ---------------------------------------------------------------------------
def _create(incident: Incident, *, owner, trigger: str, required: bool, user, reason: str) -> PostIncidentReview:
    review = PostIncidentReview(incident=incident, owner=owner, trigger=trigger, required=required)
    review._history_user = user
    review._change_reason = reason[:100]
    try:
        # Its own savepoint: losing the race on the unique incident must not spoil the caller's transaction.
        with transaction.atomic():
            review.save()
    except IntegrityError:
        return PostIncidentReview.objects.get(incident=incident)
    timeline.draft(review)
    return review


def create_required_review(incident_id: int) -> PostIncidentReview | None:
    """Create the review the policy requires for a resolved incident. Idempotent: running it twice,
    or on two workers at once, leaves one review; a reopened and re-resolved incident keeps its own."""
    with transaction.atomic():
        # The incident's row lock makes concurrent runs take turns; the unique constraint backs it up.
        incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
        if incident is None:
            return None
        existing = PostIncidentReview.objects.filter(incident=incident).first()
        if existing is not None:
            return existing
        if incident.resolved_at is None:
            # Reopened before this ran; its next resolve asks again.
            return None
        trigger = required_trigger(incident)
        if trigger is None:
            return None
        label = Trigger(trigger).label
        return _create(incident, owner=default_owner(), trigger=trigger, required=True, user=None,
                       reason=f"Created on resolve ({label})")


def review_start(*, incident: Incident, user, owner=None) -> PostIncidentReview:
    """An incident manager starts a review by hand (of any incident, required or not)."""
    if not roles.is_incident_manager(user):
        raise WorkflowError("Only incident managers can start a post-incident review.")
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        existing = PostIncidentReview.objects.filter(incident=incident).first()
        if existing is not None:
            raise WorkflowError(f"{incident.reference} already has a post-incident review ({existing.reference}).")
        trigger = required_trigger(incident)
        return _create(incident, owner=owner or user, trigger=trigger or Trigger.MANUAL, required=trigger is not None,
                       user=user, reason="Started by hand")


# --- The close gate -----------------------------------------------------------------------------
def review_close_gate(incident: Incident) -> str | None:
    """Registered with incidents.workflow: an incident whose required P1/P2 review exists stays open
    until that review is published (ITSM_REVIEW_BLOCKS_CLOSE, default on).

    An incident whose review has not been created yet (the task runs seconds after the resolve)
    is not held: the gate must not depend on a worker being up. Closing asks for the review again,
    so a required review is never lost, only not waited for."""
    if not getattr(settings, "ITSM_REVIEW_BLOCKS_CLOSE", True):
        return None
    review = PostIncidentReview.objects.filter(incident_id=incident.pk).only("pk", "state", "trigger", "required").first()
    if review is not None and review.blocks_close and review.state != ReviewState.PUBLISHED:
        return f"{incident.reference} needs its post-incident review ({review.reference}) published before it can be closed."
    return None


# --- Transitions (reviews and action items share the mechanics) ---------------------------------
class ReviewTransitions(Transitions[PostIncidentReview]):
    def describe(self, review: PostIncidentReview) -> str:
        return review.reference


class ActionItemTransitions(Transitions[ActionItem]):
    def describe(self, item: ActionItem) -> str:
        return f"the action item “{item}”"

    def prepare(self, item: ActionItem, *, user, name: str, reason: str, inputs: dict) -> None:
        if name == "drop":
            item.wont_do_reason = reason


REVIEW_TRANSITIONS = ReviewTransitions(PostIncidentReview)
ACTION_ITEM_TRANSITIONS = ActionItemTransitions(ActionItem)


def available_transitions(obj: PostIncidentReview | ActionItem, user) -> list[TransitionInfo]:
    """What this user may do from the object's current state, in the order the workflow declares
    them (guards are checked on submit, so that their refusal can say what is missing)."""
    runner = REVIEW_TRANSITIONS if isinstance(obj, PostIncidentReview) else ACTION_ITEM_TRANSITIONS
    return runner.offered(obj, user)


def review_transition(*, review: PostIncidentReview | int, user, name: str, reason: str = "") -> PostIncidentReview:
    """Submit, request changes on, or publish a review. Publishing opens the incident's close gate:
    a confirmed incident closes, an unconfirmed one gets its auto-close back (`close_gate_opened`)."""
    with transaction.atomic():
        review = REVIEW_TRANSITIONS.run(review, user=user, name=name, reason=reason)
        if name == "publish":
            incident_services.close_gate_opened(review.incident_id)
    return review


def action_item_transition(*, item: ActionItem | int, user, name: str, reason: str = "") -> ActionItem:
    """Start, complete, drop ("won't do", with a reason) or reopen an action item."""
    return ACTION_ITEM_TRANSITIONS.run(item, user=user, name=name, reason=reason)


# --- Edits --------------------------------------------------------------------------------------
def may_edit_review(review: PostIncidentReview, user) -> bool:
    return review.state != ReviewState.PUBLISHED and (review.owner_id == user.pk or roles.is_incident_manager(user))


def review_save_edits(*, review: PostIncidentReview, user, changed: Iterable[str]) -> PostIncidentReview:
    """Save edits made in a form; `review` carries them. A published review is a record: read-only."""
    if not may_edit_review(review, user):
        if review.state == ReviewState.PUBLISHED:
            raise WorkflowError(f"{review.reference} is published; it can no longer be edited.")
        raise WorkflowError(f"You may not edit {review.reference}.")
    changed = sorted(changed)
    REVIEW_TRANSITIONS.save(review, user=user, reason="Edited " + ", ".join(changed) if changed else "Edited")
    return review


def timeline_redraft(*, review: PostIncidentReview, user) -> int:
    """Copy incident events that happened since the timeline was drafted. Returns how many."""
    if not may_edit_review(review, user):
        raise WorkflowError(f"You may not change the timeline of {review.reference}.")
    with transaction.atomic():
        return timeline.draft(review)


# --- Proposing a known error --------------------------------------------------------------------
def propose_known_error(*, review: PostIncidentReview, user, title: str, symptoms: str, workaround: str = "") -> str:
    """Create a draft known error in the knowledge base from the review, and link it to the review
    (and through it to the incident). Returns the sentence to show."""
    from django.core.exceptions import ValidationError

    if not (may_edit_review(review, user) or roles.is_incident_manager(user)):
        raise WorkflowError(f"You may not propose a known error from {review.reference}.")
    if not user.has_perm("knowledge_base.add_knownerror"):
        raise WorkflowError("You may not add known errors to the knowledge base.")
    title, symptoms, workaround = (title or "").strip(), (symptoms or "").strip(), (workaround or "").strip()
    if not title or not symptoms:
        raise WorkflowError("A known error needs a title and its symptoms.")
    with transaction.atomic():
        locked = (PostIncidentReview.objects.select_for_update(of=("self",)).select_related("incident__service")
                  .get(pk=review.pk))
        if locked.known_error_id is not None:
            raise WorkflowError(f"{locked.reference} already proposed the known error “{locked.known_error}”.")
        incident = locked.incident
        try:
            known_error = kb_services.known_error_create(
                user=user, title=title, symptoms=symptoms, workaround=workaround, root_cause=locked.root_cause,
                affected_service=incident.service.name if incident.service_id else "",
                reason=f"Proposed by {locked.reference} ({incident.reference})",
            )
        except ValidationError as invalid:
            raise WorkflowError(" ".join(invalid.messages)) from None
        locked.known_error = known_error
        locked.proposed_known_error_title = known_error.title
        locked.proposed_known_error_symptoms = symptoms
        locked.proposed_known_error_workaround = workaround
        locked.known_error_proposed_at = timezone.now()
        locked._history_user = user
        locked._change_reason = "Proposed a known error"
        locked.save()
    return f"The known error “{known_error.title}” is in the knowledge base as a draft, linked to {locked.reference}."
