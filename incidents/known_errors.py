"""Triage against the knowledge base: link an incident to a published known error (its workaround
goes to the incident and, when public, to the reporter), or decide that it is a new issue.

Linking also counts the known error's recent incidents, so that the knowledge base can flag a
problem that keeps coming back for a permanent fix.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from knowledge_base import services as kb_services
from knowledge_base.models import KnownError

from . import roles, services
from .models import EventKind, Incident, TriageDecision
from .services import WorkflowError
from .workflow import State


def known_error_reference(known_error: KnownError) -> str:
    return f"KE-{known_error.pk}"


def recent_incident_count(known_error: KnownError | int, *, since: datetime | None = None,
                          until: datetime | None = None) -> int:
    """Incidents linked to the known error and opened within the recurrence window (up to `until`,
    default now). Cancelled incidents were withdrawn, so they do not count."""
    until = until or timezone.now()
    since = since or kb_services.recurrence_window_start(until)
    pk = known_error.pk if isinstance(known_error, KnownError) else known_error
    return (
        Incident.objects.filter(known_error_id=pk, opened_at__gte=since, opened_at__lte=until)
        .exclude(state=State.CANCELLED)
        .count()
    )


def recurs_with_same_known_error(incident: Incident) -> bool:
    """A recurrence check for post-incident reviews: the incident is one of three or more (the
    knowledge base's threshold) linked to the same known error within the recurrence window up to
    its resolution."""
    if incident.known_error_id is None:
        return False
    count = recent_incident_count(incident.known_error_id, until=incident.resolved_at or timezone.now())
    return count >= kb_services.recurrence_threshold()


def _locked(incident: Incident | int) -> Incident:
    pk = incident.pk if isinstance(incident, Incident) else incident
    return Incident.objects.select_for_update().get(pk=pk)


def default_reply(known_error: KnownError) -> str:
    """The public reply that applying a known error with a public workaround proposes (Markdown):
    the desk reads it, may edit it, and sends it (`apply_known_error(reply=...)`)."""
    workaround = (known_error.workaround or "").strip()
    return f"This looks like a known problem: {known_error.title}.\n\nUntil it is fixed, this should help:\n\n{workaround}"


def apply_known_error(*, incident: Incident | int, user, known_error: KnownError | int,
                      reply: str | None = None) -> Incident:
    """Link the incident to a published known error and give it the workaround. Returns the saved incident.

    One history row ("Known error applied: KE-…"), an internal work note with the workaround, a
    public reply with it too when the workaround is public (the reporter gets it by e-mail), and a
    `known_error_linked` event, which the post-incident review counts as "workaround applied".

    `reply` is the public reply as the desk read and edited it (Markdown); None sends
    `default_reply`, an empty one sends nothing to the reporter. Both notes are Markdown, shown
    rendered."""
    ke_pk = known_error.pk if isinstance(known_error, KnownError) else known_error
    with transaction.atomic():
        locked = _locked(incident)
        if not roles.can_work_on(user, locked):
            raise WorkflowError(f"You may not work on {locked.reference}, so you cannot apply a known error to it.")
        if locked.state in (State.CLOSED, State.CANCELLED):
            raise WorkflowError(
                f"{locked.reference} is {locked.get_state_display().lower()}; a known error can no longer be applied."
            )
        ke = KnownError.objects.published().filter(pk=ke_pk).first()
        if ke is None:
            raise WorkflowError("That known error is not published, so it cannot be applied to an incident.")
        if locked.known_error_id == ke.pk:
            raise WorkflowError(f"{locked.reference} is already linked to {known_error_reference(ke)} “{ke.title}”.")
        reference = known_error_reference(ke)
        workaround = (ke.workaround or "").strip()
        locked.known_error = ke
        locked.triage_decision = TriageDecision.KNOWN_ERROR
        if workaround:
            locked.workaround = workaround
        services._save(locked, user=user, reason=f"Known error applied: {reference}")
        heading = f"Known error {reference}: {ke.title}"
        if workaround:
            services.comment_add(incident=locked, author=user, public=False, markdown=True,
                                 body=f"{heading}\n\nWorkaround:\n\n{workaround}")
            body = default_reply(ke) if reply is None else reply.strip()
            if ke.public and body:
                services.comment_add(incident=locked, author=user, public=True, markdown=True, body=body)
        services.record_event(locked, kind=EventKind.KNOWN_ERROR_LINKED, actor=user, notify=False,
                              transition="known_error_linked", message=heading[:200])
        kb_services.flag_recurrence(ke, recent_incident_count(ke), user=user)
    locked.refresh_from_db()
    return locked


def mark_new_issue(*, incident: Incident | int, user) -> Incident:
    """Record the triage decision that no known error matches: this is a new issue."""
    with transaction.atomic():
        locked = _locked(incident)
        if not roles.can_work_on(user, locked):
            raise WorkflowError(f"You may not work on {locked.reference}, so you cannot decide how to triage it.")
        if locked.known_error_id is not None:
            raise WorkflowError(f"{locked.reference} is linked to a known error, so it is not a new issue.")
        if locked.triage_decision == TriageDecision.NEW_ISSUE:
            raise WorkflowError(f"{locked.reference} is already marked as a new issue.")
        locked.triage_decision = TriageDecision.NEW_ISSUE
        services._save(locked, user=user, reason="Triage: new issue, no known error matches")
        services.record_event(locked, kind=EventKind.CLASSIFICATION, actor=user, notify=False,
                              message="New issue: no known error matches")
    return locked
