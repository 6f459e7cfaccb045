"""Every write to an incident goes through here: admin, portal, API and tasks call these functions.

Each service locks what it changes, validates, saves once (one history row with the actor and a
reason), writes an `IncidentEvent` for the timeline and schedules notifications after commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import WorkflowError
from core.text import clean_text, single_line
from core.transitions import TransitionInfo, Transitions

from . import events, roles, selectors
from .models import (
    Attachment,
    Category,
    Channel,
    Comment,
    EventKind,
    Incident,
    IncidentEvent,
    Service,
    Team,
)
from .signals import incident_transitioned
from .sla import clock
from .uploads import validate_upload
from .workflow import State, close_refusal, passes_close_gates

SYSTEM_USERNAME = "itsm-system"
# A description or a comment is prose; a longer log goes as an attachment (3 MB of text was accepted).
TEXT_LIMIT = 50_000


def check_length(field: str, text: str, limit: int) -> None:
    if len(text) > limit:
        raise ValidationError({field: f"This is too long: at most {limit:,} characters (it has {len(text):,}). "
                                      "Attach a long log as a file instead."})


def system_user():
    """The actor of what the system does by itself (escalations, auto-close), created on first use.

    It cannot log in (inactive, no usable password); it holds the incident manager role so that
    the transitions' permission checks allow it, like any other actor, with no special case.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user, created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "Service desk", "last_name": "automation", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name=roles.INCIDENT_MANAGER)[0])
    return user


# Inputs each transition takes besides the reason; the admin and portal forms are built from this.
TRANSITION_FIELDS: dict[str, tuple[str, ...]] = {
    "triage": ("category", "impact", "urgency", "team"),
    "route": ("team",),
    "start": ("assignee",),
    "hold": ("hold_kind", "hold_reason"),
    "resolve": ("resolution_code", "resolution_notes", "workaround", "verification"),
}
# Transitions whose reason is shown to the reporter on the portal timeline.
PUBLIC_TRANSITIONS = {"resolve", "close", "reopen", "cancel", "hold", "resume"}


class IncidentTransitions(Transitions[Incident]):
    """The incident's transitions: the shared runner, plus each transition's inputs, the SLA clock
    on every save, and the timeline event and signal that every transition owes."""

    def describe(self, incident: Incident) -> str:
        return incident.reference

    def inputs_of(self, name: str) -> tuple[str, ...]:
        return TRANSITION_FIELDS.get(name, ())

    def precheck(self, incident: Incident, *, user, name: str) -> None:
        if name == "claim" and incident.assignee_id not in (None, user.pk):
            # Said first: the loser of a claim race wants to know who has it, not its new state.
            raise WorkflowError(f"{incident.reference} is already assigned to {incident.assignee}.")

    def prepare(self, incident: Incident, *, user, name: str, reason: str, inputs: dict) -> None:
        """Set what the transition needs on the instance, validating it first."""
        if name == "claim":
            incident.assignee = user
        if name == "start":
            assignee = inputs.get("assignee")
            if assignee is not None:
                if not (roles.is_staff_role(assignee) and roles.can_work_on(assignee, incident)):
                    raise WorkflowError(f"{assignee} is not a member of {incident.team or 'the team'}.")
                incident.assignee = assignee
        if name == "hold":
            incident.hold_kind = inputs.get("hold_kind")
            incident.hold_reason = (inputs.get("hold_reason") or reason or "").strip()[:200]
        if name == "resolve":
            incident.resolution_code = inputs.get("resolution_code") or incident.resolution_code
            incident.resolution_notes = (inputs.get("resolution_notes") or incident.resolution_notes or "").strip()
            if inputs.get("workaround"):
                incident.workaround = inputs["workaround"].strip()
            # How restoration was verified: optional here (older callers), but the SOP's conformance
            # checklist counts a resolve without it as a missed step.
            if (inputs.get("verification") or "").strip():
                if len(inputs["verification"]) > TEXT_LIMIT:
                    raise WorkflowError(f"The verification is too long: at most {TEXT_LIMIT:,} characters.")
                incident.verification = inputs["verification"].strip()
        if name == "route":
            team = inputs.get("team")
            if team is None:
                raise WorkflowError("Choose the team to route the incident to.")
            if team.pk == incident.team_id:
                raise WorkflowError(f"The incident is already in the {team} queue.")
            incident.team = team
        if name == "triage":
            for field in ("category", "impact", "urgency", "team"):
                if inputs.get(field) is not None:
                    setattr(incident, field, inputs[field])
            incident.apply_classification()

    def explain(self, incident: Incident, condition) -> str | None:
        # A close gate explains itself (a review still open, ...).
        return close_refusal(incident) if condition is passes_close_gates else None

    def before_save(self, incident: Incident) -> None:
        clock.refresh(incident)

    def after_save(self, incident: Incident, *, user, name: str, from_state: str, reason: str) -> None:
        message = reason
        if name == "resolve":
            message = incident.resolution_notes
        elif name == "hold":
            message = ": ".join(filter(None, [str(incident.hold_kind or ""), incident.hold_reason]))
        event = record_event(
            incident, kind=EventKind.TRANSITION, actor=user, transition=name,
            from_state=from_state, to_state=incident.state, message=message,
            public=name in PUBLIC_TRANSITIONS,
        )
        incident_transitioned.send(sender=Incident, incident=incident, event=event, user=user)


TRANSITIONS = IncidentTransitions(Incident)


def available_transitions(incident: Incident, user, *, for_reporter: bool = False) -> list[TransitionInfo]:
    """Transitions this user may take from the incident's current state, in the order of the work."""
    if for_reporter:
        return TRANSITIONS.offered(incident, user, include=lambda info: bool(info.custom.get("reporter")))
    return TRANSITIONS.offered(incident, user)


def record_event(incident: Incident, *, kind: str, actor=None, notify: bool = True, **fields) -> IncidentEvent:
    """An event on the incident's timeline (through `events`, its only writer)."""
    return events.record(incident, kind=kind, actor=actor, notify=notify, **fields)


def _save(incident: Incident, *, user, reason: str) -> None:
    TRANSITIONS.save(incident, user=user, reason=reason)


def transition(*, incident: Incident | int, user, name: str, reason: str = "", **inputs) -> Incident:
    """Take transition `name` on the incident as `user` (None: the system). Returns the saved, fresh incident."""
    return TRANSITIONS.run(incident, user=user or system_user(), name=name, reason=reason, **inputs)


def close_gate_opened(incident_id: int) -> str | None:
    """A close gate let go of a resolved incident (its post-incident review was published). Called
    by the app that owns the gate. Returns what happened, or None when nothing had to.

    A reporter who already confirmed the fix is not asked again: the incident closes now. Otherwise
    its auto-close, given up while the gate held it, is armed again: at the end of its grace period,
    or at once when that is over, so the next sweep closes it unless the reporter reopens it.
    """
    with transaction.atomic():
        incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
        if incident is None or incident.state != State.RESOLVED or close_refusal(incident) is not None:
            return None
        if selectors.reporter_confirmations(incident.reporter_id).filter(incident=incident).exists():
            transition(incident=incident, user=system_user(), name="close",
                       reason="The reporter had confirmed the fix; the follow-up is done.")
            return "closed"
        if incident.auto_close_at is not None:
            return None
        if incident.resolved_at and incident.comments.filter(author_id=incident.reporter_id,
                                                             created_at__gte=incident.resolved_at).exists():
            return None  # the reporter answered instead of confirming: the desk closes it, not the clock
        now = timezone.now()
        due = max(clock.auto_close_time(incident.resolved_at or now, clock.config_in_use().default_calendar()), now)
        next_due = min(incident.next_due_at, due) if incident.next_due_at else due
        Incident.objects.filter(pk=incident.pk).update(auto_close_at=due, next_due_at=next_due)
        record_event(incident, kind=EventKind.AUTO_CLOSE, actor=system_user(), public=True, notify=False,
                     message=f"The follow-up is done: closes automatically on {timezone.localtime(due):%d %b %Y, %H:%M} "
                             "unless the reporter says the problem is still there.")
        return "auto-close armed"


def confirm_fix(*, incident: Incident | int, user, reason: str = "") -> tuple[Incident, bool]:
    """The reporter says the fix works. Returns (incident, closed).

    Usually that closes the incident. When a close gate holds it open (a required post-incident
    review), the confirmation is recorded instead, so the reporter is not asked again and the
    incident closes once the gate opens (auto-close, or the desk).
    """
    try:
        return transition(incident=incident, user=user, name="close", reason=reason), True
    except WorkflowError:
        pk = incident.pk if isinstance(incident, Incident) else incident
        with transaction.atomic():
            locked = Incident.objects.select_for_update().get(pk=pk)
            gated = locked.state == State.RESOLVED and close_refusal(locked) is not None
            if not gated or locked.reporter_id != user.pk:
                raise
            if not locked.events.filter(transition="confirm").exists():
                record_event(
                    locked, kind=EventKind.TRANSITION, actor=user, transition="confirm",
                    from_state=locked.state, to_state=locked.state, public=True, notify=False,
                    message=reason or "The reporter confirmed that the fix works.",
                )
        return locked, False


# How reporters open incidents themselves; the other channels (phone, e-mail, walk-in, monitoring)
# are the service desk's to record when it logs an incident for someone.
SELF_SERVICE_CHANNELS = frozenset({Channel.PORTAL, Channel.API})


def may_log_for_others(user) -> bool:
    """Whether `user` logs incidents for other people (the service desk, incident managers)."""
    return user.has_perm("incidents.add_incident")


def check_may_log_for_others(user, chosen: Iterable[str]) -> None:
    """Refuse `user` what only those who log for others choose when opening an incident: `chosen`
    names what they set (reporter, channel, team). PermissionDenied, with the sentence."""
    chosen = list(chosen)
    if chosen and not may_log_for_others(user):
        raise PermissionDenied(f"Only the service desk sets {', '.join(chosen)} when logging an incident; "
                               "leave them out to report one of your own.")


def incident_create(
    *,
    reporter,
    summary: str,
    description: str = "",
    channel: str = Channel.PORTAL,
    category: Category | None = None,
    service: Service | None = None,
    impact: str = "low",
    urgency: str = "low",
    team: Team | None = None,
    created_by=None,
    files: Iterable[UploadedFile] = (),
    submission_key: uuid.UUID | None = None,
    exercise: bool = False,
) -> Incident:
    """Open an incident. Files are checked before anything is written, so nothing is half-saved.

    `created_by` is who logs it when that is not simply its reporter (the desk, the API caller):
    one who may not log for others gets PermissionDenied for another reporter, a queue (`team`) or
    a channel other than their own (`check_may_log_for_others`).

    `submission_key` makes the call idempotent: the same key (a form sent twice, a request
    retried) returns the incident it opened the first time, even when both arrive at once; that
    incident has `resubmitted = True`.

    `exercise`: a drill's incident (`drills.services.start_drill`), marked in the row it is created
    with, so that nothing (the status page, external updates, the metrics) ever sees it unmarked.
    """
    if created_by is not None:
        check_may_log_for_others(created_by, [
            name for name, chosen in (("reporter", reporter.pk != created_by.pk),
                                      ("channel", channel not in SELF_SERVICE_CHANNELS),
                                      ("team", team is not None))
            if chosen
        ])
    summary = single_line(summary)
    description = clean_text(description)
    if not summary:
        raise ValidationError({"summary": "Describe the problem in a few words."})
    check_length("description", description, TEXT_LIMIT)
    if submission_key is not None:
        earlier = Incident.objects.filter(submission_key=submission_key).first()
        if earlier is not None and earlier.reporter_id == reporter.pk:
            earlier.resubmitted = True
            return earlier
        if earlier is not None:
            submission_key = None  # someone else's key (copied, or forged): not theirs to find
    checked = [(f, *validate_upload(f)) for f in files]
    actor = created_by or reporter
    # Classification and deadlines only read: worked out before the transaction, so that the write
    # lock (SQLite takes the whole database's) is held for the writes alone.
    incident = Incident(
        summary=summary[:200], description=description, reporter=reporter, submission_key=submission_key,
        channel=channel, category=category, service=service, impact=impact, urgency=urgency, team=team,
        exercise=exercise,
    )
    incident.apply_classification()
    incident._history_user = actor
    incident._change_reason = f"Opened via {incident.get_channel_display()}"
    clock.refresh(incident)
    try:
        with transaction.atomic():
            incident.save()
            for upload, name, content_type in checked:
                _store_attachment(incident, upload, name, content_type, actor, comment=None, public=True)
            record_event(incident, kind=EventKind.CREATED, actor=actor, public=True,
                         message=f"Opened via {incident.get_channel_display()}")
    except IntegrityError:
        # The same submission, sent twice at once: the other request opened it.
        earlier = Incident.objects.filter(submission_key=submission_key, reporter=reporter).first()
        if submission_key is None or earlier is None:
            raise
        earlier.resubmitted = True
        return earlier
    return incident


def _store_attachment(incident, upload, name, content_type, user, *, comment, public) -> Attachment:
    attachment = Attachment(
        incident=incident, comment=comment, original_name=name, content_type=content_type,
        size=upload.size, uploaded_by=user, public=public,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    return attachment


def comment_add(*, incident: Incident, author, body: str, public: bool, files: Iterable[UploadedFile] = (),
                markdown: bool = False) -> Comment:
    """A public reply or an internal work note. Reporters can only write public replies.
    `markdown`: the body is Markdown (a reply from a known error's workaround), shown rendered."""
    body = clean_text(body)
    if not body:
        raise ValidationError({"body": "Write something before sending."})
    check_length("body", body, TEXT_LIMIT)
    is_reporter_only = _check_writer(incident, author, "comment on")
    if is_reporter_only:
        public = True
    checked = [(f, *validate_upload(f)) for f in files]
    with transaction.atomic():
        comment = Comment.objects.create(incident=incident, author=author, body=body, public=public,
                                         markdown=markdown and not is_reporter_only)
        for upload, name, content_type in checked:
            _store_attachment(incident, upload, name, content_type, author, comment=comment, public=public)
        if public and not is_reporter_only:
            # A public reply from the desk is a first response.
            locked = Incident.objects.select_for_update().get(pk=incident.pk)
            if locked.responded_at is None:
                locked.mark_responded()
                _save(locked, user=author, reason="First public reply")
                incident.responded_at = locked.responded_at
            # A public reply from the desk is also the stakeholder update that the cadence asks for.
            clock.record_stakeholder_update(incident, at=comment.created_at)
        record_event(incident, kind=EventKind.COMMENT, actor=author, comment=comment, public=public,
                     message=body[:200], notify=public)
        if author.pk == incident.reporter_id and public:
            _resume_if_waiting_for_reporter(incident.pk)
            _answer_on_resolved(incident.pk, author, body)
    return comment


def stakeholder_update(*, incident: Incident, author, message: str, public: bool) -> IncidentEvent:
    """An update reached the incident's stakeholders (`comms` posts it): on the timeline, and the
    P1/P2 update cadence starts again, as a public reply from the desk restarts it. In the caller's
    transaction; the caller checks that `author` may post it."""
    clock.record_stakeholder_update(incident)
    return record_event(incident, kind=EventKind.UPDATE, actor=author, public=public, notify=False,
                        message=message[:1000])


def attachment_add(*, incident: Incident, user, upload: UploadedFile, public: bool) -> Attachment:
    """A file on the incident by itself, without a comment (the API's upload), checked like every
    upload. The reporter's files are public, as their replies are."""
    if _check_writer(incident, user, "add files to"):
        public = True
    name, content_type = validate_upload(upload)
    with transaction.atomic():
        attachment = _store_attachment(incident, upload, name, content_type, user, comment=None, public=public)
        record_event(incident, kind=EventKind.ATTACHMENT, actor=user, public=public, notify=False,
                     message=f"Attached {name}")
    return attachment


def _check_writer(incident: Incident, author, doing: str) -> bool:
    """Refuse a writer who may not write on the incident; True when they write as its reporter
    only (public, and not once it is closed)."""
    if not roles.can_comment(author, incident):
        raise WorkflowError(f"You may not {doing} this incident.")
    is_reporter_only = not roles.can_work_on(author, incident)
    if is_reporter_only and incident.state in (State.CLOSED, State.CANCELLED):
        raise WorkflowError(f"{incident.reference} is closed; report a new incident if the problem is back.")
    return is_reporter_only


def _answer_on_resolved(incident_id: int, reporter, body: str) -> None:
    """The reporter wrote on a resolved incident instead of confirming: it does not close by itself
    behind their back. With ITSM_REPORTER_REPLY_REOPENS it reopens (their words are the reason);
    otherwise its auto-close stops and the portal offers the reopen."""
    locked = Incident.objects.select_for_update().filter(pk=incident_id, state=State.RESOLVED).first()
    if locked is None:
        return
    if settings.ITSM_REPORTER_REPLY_REOPENS:
        transition(incident=incident_id, user=reporter, name="reopen", reason=body[:1000])
        return
    if locked.auto_close_at is not None:
        Incident.objects.filter(pk=incident_id).update(auto_close_at=None)
        record_event(locked, kind=EventKind.AUTO_CLOSE, actor=system_user(), public=False, notify=False,
                     message="Auto-close stopped: the reporter replied instead of confirming the fix.")


def _resume_if_waiting_for_reporter(incident_id: int) -> None:
    """The reporter answered an incident on hold waiting for them: it resumes (the SLA clock runs
    again), as the reply is what it waited for. In the reply's transaction."""
    waiting = Incident.objects.filter(pk=incident_id, state=State.ON_HOLD, hold_kind__waits_for_reporter=True)
    if waiting.exists():
        transition(incident=incident_id, user=system_user(), name="resume", reason="The reporter replied.")


# The fields an edit may change (the admin's change form, the API's PATCH), by whoever may work on
# the incident. State, priority, deadlines and the like are not among them: transitions, the
# impact x urgency matrix and the SLA clock set those.
EDITABLE_FIELDS = (
    "summary", "description", "category", "service", "impact", "urgency", "confidential",
    "team", "assignee", "resolution_code", "resolution_notes", "workaround",
)
# Not edited as fields: a major incident is declared and stood down with a reason, and an incident
# is linked under one, each by its service (`incidents.major`), which says what it refuses and
# writes the timeline.
MAJOR_FIELDS = {"is_major": "“Declare major incident”", "parent": "“Link to major incident”"}


def incident_save_edits(*, incident: Incident, user, changed: Iterable[str]) -> Incident:
    """Save field edits made in a form (the admin change form). `incident` carries the edits.

    Only the fields named in `changed` are taken from it, onto the row as it stands now, under its
    lock: a copy loaded before an assignment, a reply or a sweep cannot put their fields back
    (the old assignee, an erased stakeholder update, a breach marker). A copy whose state has
    moved on since it was loaded is refused, as a transition would be. A new assignee follows
    `incident_assign`'s rule (not once the incident is resolved). Returns the saved row.
    """
    changed = set(changed)
    by_service = sorted(changed & set(MAJOR_FIELDS))
    if by_service:
        raise WorkflowError(" ".join(f"{name} is not edited directly: use {MAJOR_FIELDS[name]}." for name in by_service))
    not_editable = changed - set(EDITABLE_FIELDS)
    if not_editable:
        raise WorkflowError(f"These are not edited directly: {', '.join(sorted(not_editable))}.")
    edited = {}
    for name in changed:
        field = Incident._meta.get_field(name)
        edited[field.attname] = getattr(incident, field.attname)
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if not roles.can_work_on(user, locked):
            raise WorkflowError(f"You may not edit {locked.reference}.")
        if incident.state != locked.state:
            # Edited on the basis of a state that is gone (claimed, resolved, reopened meanwhile).
            raise WorkflowError(
                f"{locked.reference} was changed by someone else a moment ago. Reload it and try again."
            )
        if "team" in changed and not (roles.is_desk_agent(user) or roles.is_incident_manager(user)):
            raise WorkflowError("To hand the incident to another team, use “Route to team”.")
        for attname, value in edited.items():
            setattr(locked, attname, value)
        if "assignee" in changed:
            _check_assignable(locked, locked.assignee)
        if "summary" in changed:
            locked.summary = single_line(locked.summary)[:200]
            if not locked.summary:
                raise WorkflowError("Describe the problem in a few words: the summary cannot be empty.")
        if "description" in changed:
            locked.description = clean_text(locked.description)
            if len(locked.description) > TEXT_LIMIT:
                raise WorkflowError(f"The description is too long: at most {TEXT_LIMIT:,} characters. "
                                    "Attach a long log as a file instead.")
        if changed & {"impact", "urgency", "category"}:
            locked.apply_classification()
        _save(locked, user=user, reason="Edited " + ", ".join(sorted(changed)) if changed else "Edited")
        if changed & {"impact", "urgency", "category", "team", "service"}:
            record_event(locked, kind=EventKind.CLASSIFICATION, actor=user, notify=False,
                         message=f"P{locked.priority}, {locked.category or 'no category'}, "
                                 f"{locked.team or 'no team'}")
        if getattr(locked, "became_security", False):
            from .security import record_if_classified_security  # security builds on these services

            record_if_classified_security(locked, user)
        if "assignee" in changed:
            record_event(locked, kind=EventKind.ASSIGNMENT, actor=user,
                         message=f"Assigned to {locked.assignee}" if locked.assignee else "Unassigned")
    return locked


# An incident is given to someone while it is being worked: not once resolved, closed or cancelled.
ASSIGNABLE_STATES = (State.NEW, State.TRIAGED, State.IN_PROGRESS, State.ON_HOLD)


def _check_assignable(incident: Incident, assignee) -> None:
    """The assignment rule, for `incident_assign` and for an edit of the assignee alike."""
    if incident.state not in ASSIGNABLE_STATES:
        raise WorkflowError(f"{incident.reference} is {incident.get_state_display().lower()}; it cannot be assigned.")
    if assignee is not None and not roles.can_work_on(assignee, incident):
        raise WorkflowError(f"{assignee} cannot work on incidents of {incident.team or 'this team'}.")


def incident_assign(*, incident: Incident | int, user, assignee) -> Incident:
    """Give the incident to `assignee` (None: unassign) without changing its state."""
    pk = incident.pk if isinstance(incident, Incident) else incident
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=pk)
        if not roles.can_work_on(user, locked):
            raise WorkflowError(f"You may not assign {locked.reference}.")
        _check_assignable(locked, assignee)
        if locked.assignee_id == (assignee.pk if assignee else None):
            return locked
        locked.assignee = assignee
        _save(locked, user=user, reason=f"Assigned to {assignee}" if assignee else "Unassigned")
        record_event(locked, kind=EventKind.ASSIGNMENT, actor=user,
                     message=f"Assigned to {assignee}" if assignee else "Unassigned")
    return locked


def incident_route(*, incident: Incident | int, user, team: Team, reason: str = "") -> Incident:
    return transition(incident=incident, user=user, name="route", reason=reason, team=team)
