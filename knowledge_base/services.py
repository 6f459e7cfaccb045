"""Every write to the knowledge base goes through here: the admin now, the incident app and the
portal later.

Each service saves once, so each change is one history row carrying the actor and a reason.
Search indexes follow on their own (see `search_index`), whichever service wrote.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import WorkflowError
from core.transitions import TransitionInfo, Transitions, locked_save

from .models import Article, Deflection, FixStatus, KnownError
from .workflow import PublishWorkflow

KnowledgeItem = KnownError | Article

# What a deflection keeps of the text typed on the portal: enough to read, not a log dump.
DEFLECTION_TEXT_LIMIT = 2000


class KnowledgeTransitions(Transitions[PublishWorkflow]):
    """The publish workflow of known errors and articles, run by the shared runner."""

    def describe(self, item: PublishWorkflow) -> str:
        return f"“{item}”"


TRANSITIONS: dict[type[PublishWorkflow], KnowledgeTransitions] = {
    KnownError: KnowledgeTransitions(KnownError),
    Article: KnowledgeTransitions(Article),
}


def transition_names(model: type[PublishWorkflow]) -> list[str]:
    return TRANSITIONS[model].names()


def available_transitions(item: KnowledgeItem, user) -> list[TransitionInfo]:
    """Transitions this user may take from the item's current state (for buttons)."""
    return TRANSITIONS[type(item)].offered(item, user)


def _save(item: PublishWorkflow, *, user, reason: str, update_fields: Iterable[str] | None = None) -> None:
    locked_save(item, user=user, reason=reason, describe=TRANSITIONS[type(item)].describe, update_fields=update_fields)


def transition(*, item: KnowledgeItem, user, name: str, reason: str = "") -> KnowledgeItem:
    """Take transition `name` (submit, return_to_draft, publish, retire, revise) as `user`.

    Returns the saved, fresh item. Raises `WorkflowError` with a sentence when it is refused."""
    return TRANSITIONS[type(item)].run(item, user=user, name=name, reason=reason)


def known_error_create(*, user, title: str, symptoms: str = "", root_cause: str = "", workaround: str = "",
                       category=None, affected_service: str = "", public: bool = False,
                       fix_status: str = FixStatus.NONE, reason: str = "Created") -> KnownError:
    """A new known error, as a draft. (A post-incident review proposing one calls this too.)"""
    item = KnownError(
        title=(title or "").strip(), symptoms=symptoms or "", root_cause=root_cause or "",
        workaround=workaround or "", category=category, affected_service=(affected_service or "").strip(),
        public=public, fix_status=fix_status, created_by=user,
    )
    item.full_clean(exclude=["state"])
    _save(item, user=user, reason=reason)
    return item


def article_create(*, user, title: str, body: str = "", kind: str = "how_to", audience: str = "internal",
                   category=None, reason: str = "Created") -> Article:
    """A new article, as a draft."""
    item = Article(title=(title or "").strip(), body=body or "", kind=kind, audience=audience,
                   category=category, created_by=user)
    item.full_clean(exclude=["state"])
    _save(item, user=user, reason=reason)
    return item


def _apply_fix_status(item: KnownError) -> None:
    # A delivered permanent fix answers the recurrence flag.
    if item.fix_status == FixStatus.FIXED:
        item.needs_permanent_fix = False


def item_save_edits(*, item: KnowledgeItem, user, changed: Iterable[str] = ()) -> KnowledgeItem:
    """Save content edits made in a form (`item` carries them); the history row names the fields
    that changed. The state is not an edit: it changes through `transition` only."""
    changed = [name for name in changed if name != "state"]
    if isinstance(item, KnownError):
        _apply_fix_status(item)
    if item.pk is None:
        if item.created_by_id is None:
            item.created_by = user
        reason = "Created"
    else:
        labels = [str(type(item)._meta.get_field(name).verbose_name) for name in changed]
        reason = f"Edited: {', '.join(labels)}" if labels else "Edited"
    _save(item, user=user, reason=reason)
    return item


def set_fix_status(*, known_error: KnownError, user, status: str, reason: str = "") -> KnownError:
    """Move the permanent fix along; delivering it clears the recurrence flag."""
    if status not in FixStatus.values:
        raise WorkflowError(f"“{status}” is not a permanent-fix status.")
    with transaction.atomic():
        locked = KnownError.objects.select_for_update().get(pk=known_error.pk)
        locked.fix_status = status
        _apply_fix_status(locked)
        label = f"Permanent fix: {FixStatus(status).label}"
        _save(locked, user=user, reason=f"{label}: {reason}" if reason else label)
    return locked


# --- Recurrence -------------------------------------------------------------------------------
def recurrence_threshold() -> int:
    return settings.ITSM_RECURRENCE_THRESHOLD


def recurrence_window() -> timedelta:
    return timedelta(days=settings.ITSM_RECURRENCE_WINDOW_DAYS)


def recurrence_window_start(now: datetime | None = None) -> datetime:
    """Count incidents linked at or after this moment when calling `flag_recurrence`."""
    return (now or timezone.now()) - recurrence_window()


def flag_recurrence(known_error: KnownError, recent_incident_count: int, *, user=None) -> bool:
    """Record how many incidents were linked to the known error within the recurrence window, and
    flag it for a permanent fix when that reaches the threshold. Returns the flag.

    The caller (the incident app, which owns the link rows) counts; this decides. The flag is
    sticky: it clears when the fix is delivered (`set_fix_status(..., FIXED)`), not when the
    count drops, so a problem that was recurring is not forgotten after a quiet month."""
    count = max(0, int(recent_incident_count))
    with transaction.atomic():
        locked = KnownError.objects.select_for_update().get(pk=known_error.pk)
        newly_flagged = count >= recurrence_threshold() and not locked.needs_permanent_fix
        if not newly_flagged and locked.recurrence_count == count:
            return locked.needs_permanent_fix
        locked.recurrence_count = count
        if newly_flagged:
            locked.needs_permanent_fix = True
            locked.recurrence_flagged_at = timezone.now()
            days = recurrence_window().days
            _save(locked, user=user, reason=f"Recurring: {count} incidents in {days} days; needs a permanent fix")
        else:
            # The count alone is bookkeeping, not an event worth a history row.
            locked.save_without_historical_record(update_fields=["recurrence_count", "updated_at"])
    known_error.needs_permanent_fix = locked.needs_permanent_fix
    known_error.recurrence_count = locked.recurrence_count
    known_error.recurrence_flagged_at = locked.recurrence_flagged_at
    return locked.needs_permanent_fix


# --- Deflection -------------------------------------------------------------------------------
def record_deflection(user, text: str, known_error: KnownError | None = None,
                      article: Article | None = None) -> Deflection:
    """Someone found their answer in the knowledge base instead of opening an incident."""
    if (known_error is None) == (article is None):
        raise ValueError("A deflection is credited to exactly one known error or one article.")
    clean_text = (text or "").replace("\x00", "").strip()[:DEFLECTION_TEXT_LIMIT]
    user = user if getattr(user, "is_authenticated", False) else None
    return Deflection.objects.create(user=user, text=clean_text, known_error=known_error, article=article)
