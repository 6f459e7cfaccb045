"""Reactions to incident changes. Connected in `ReviewsConfig.ready()`; incidents never imports this."""

from __future__ import annotations

from django.db import transaction

# Resolving asks for the review. Closing asks again, in case the first task never ran: the close
# gate does not wait for a review that does not exist yet, so this is what makes sure it exists.
ASKING_TRANSITIONS = frozenset({"resolve", "close"})


def on_incident_transitioned(sender, incident, event, user, **kwargs) -> None:
    """Ask (after commit) for the review the policy may require.

    The task decides whether one is required and is idempotent, so a reopened and re-resolved
    incident asks again and still ends up with one review."""
    if event.transition not in ASKING_TRANSITIONS:
        return
    from .tasks import create_required_review

    incident_id = incident.pk
    transaction.on_commit(lambda: create_required_review.delay(incident_id))
