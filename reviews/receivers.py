"""Reactions to incident changes. Connected in `ReviewsConfig.ready()`; incidents never imports this."""

from __future__ import annotations

from django.db import transaction


def on_incident_transitioned(sender, incident, event, user, **kwargs) -> None:
    """On resolve, ask (after commit) for the review the policy may require.

    The task decides whether one is required and is idempotent, so a reopened and re-resolved
    incident asks again and still ends up with one review."""
    if event.transition != "resolve":
        return
    from .tasks import create_required_review

    incident_id = incident.pk
    transaction.on_commit(lambda: create_required_review.delay(incident_id))
