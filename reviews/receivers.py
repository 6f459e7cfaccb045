"""Reactions to incident changes. Connected in `ReviewsConfig.ready()`; incidents never imports this."""

from __future__ import annotations

from celery import shared_task

from core import outbox
from core.retry import DATABASE_TASK
from incidents.models import Incident

from . import services

# Resolving asks for the review. Closing asks again, in case the first task never ran: the close
# gate does not wait for a review that does not exist yet, so this is what makes sure it exists.
ASKING_TRANSITIONS = frozenset({"resolve", "close"})


def on_incident_transitioned(sender, incident, event, user, **kwargs) -> None:
    """Ask (after commit) for the review the policy may require.

    The task decides whether one is required and is idempotent, so a reopened and re-resolved
    incident asks again and still ends up with one review."""
    if event.transition not in ASKING_TRANSITIONS:
        return
    outbox.enqueue_on_commit(create_required_review_task, incident.pk)


def stale(written_before, written_after, limit: int):
    """The relay's finder (`core.outbox.register_relay`): incidents resolved in the window at a
    priority that requires a review, still without one (the task queued on resolve was lost).
    Recurring incidents are not found here; closing asks for their review again."""
    incidents = (Incident.objects.filter(resolved_at__lt=written_before, resolved_at__gte=written_after,
                                         priority__in=services.REVIEW_PRIORITIES, review__isnull=True)
                 .order_by("pk").values_list("pk", flat=True)[:limit])
    for incident_id in incidents:
        yield create_required_review_task, (incident_id,)


# The task it enqueues (name pinned: it was registered under reviews.tasks).
@shared_task(name="reviews.tasks.create_required_review", **DATABASE_TASK)
def create_required_review_task(incident_id: int) -> int | None:
    review = services.create_required_review(incident_id)
    return review.pk if review is not None else None
