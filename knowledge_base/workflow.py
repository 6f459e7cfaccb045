"""The publish workflow shared by known errors and articles: draft -> in review -> published -> retired.

The transitions live on `PublishWorkflow`, an abstract base of both models. They only change the
instance; `services.transition` locks the row, calls one, saves once (one history row with the
actor and the reason) and refuses what the guards refuse. Admin and any later surface go through
that service, so a rule written here holds everywhere.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.transitions import guard


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


@guard("Give it a title before sending it for review.")
def title_present(item: Any) -> bool:
    return bool((item.title or "").strip())


@guard("Write its content before sending it for review.")
def content_present(item: Any) -> bool:
    return item.has_content()


# --- Permissions: (item, user) -> bool. The codenames are per model (knownerror / article). ----
def _perm(item: Any, action: str) -> str:
    return f"{item._meta.app_label}.{action}_{item._meta.model_name}"


def may_edit(item: Any, user) -> bool:
    return bool(user and user.has_perm(_perm(item, "change")))


def may_publish(item: Any, user) -> bool:
    """Publishing and retiring is a reviewer's call (the Incident manager role by default)."""
    return bool(user and user.has_perm(_perm(item, "publish")))


class PublishWorkflow(ConcurrentTransitionMixin, models.Model):
    """State, its transitions and the dates they set. A concrete model adds its content fields and
    `has_content()`."""

    state = FSMField(max_length=20, choices=State.choices, default=State.DRAFT, protected=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    def has_content(self) -> bool:  # pragma: no cover - every concrete model defines it
        raise NotImplementedError

    @transition(field="state", source=State.DRAFT, target=State.IN_REVIEW,
                conditions=[title_present, content_present], permission=may_edit,
                custom={"label": "Send for review"})
    def submit(self) -> None:
        pass

    @transition(field="state", source=State.IN_REVIEW, target=State.DRAFT,
                permission=may_edit, custom={"label": "Back to draft", "needs_reason": True})
    def return_to_draft(self) -> None:
        pass

    @transition(field="state", source=State.IN_REVIEW, target=State.PUBLISHED,
                conditions=[title_present, content_present], permission=may_publish,
                custom={"label": "Publish", "four_eyes": True})
    def publish(self) -> None:
        self.published_at = timezone.now()
        self.retired_at = None

    @transition(field="state", source=State.PUBLISHED, target=State.RETIRED,
                permission=may_publish, custom={"label": "Retire", "needs_reason": True})
    def retire(self) -> None:
        self.retired_at = timezone.now()

    @transition(field="state", source=[State.PUBLISHED, State.RETIRED], target=State.DRAFT,
                permission=may_edit, custom={"label": "Revise as draft", "needs_reason": True})
    def revise(self) -> None:
        # A revised item leaves the search results until it is published again.
        pass
