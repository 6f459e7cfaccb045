"""Every write of the security response, one function per action.

Each one checks that the person may work the security incident (`incidents.roles.can_work_on`, the
visibility rule that knows about security incidents), locks what it changes, writes one timeline
event (`incidents.events.record`) and queues any message after commit. A refusal is a
`PermissionDenied` (who), a `ValidationError` (what was typed) or a `WorkflowError` (the state of
things: a step ticked already, evidence superseded already), each with a sentence for the person.

The custody log is the record of every access to evidence: this app sits below compliance, so it
cannot write compliance's audit chain itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from jinja2 import TemplateError

from comms import services as comms
from comms.models import Channel, Purpose, Template
from core import outbox
from core.errors import WorkflowError
from core.text import clean_text, mail_subject, single_line
from incidents import events, roles, uploads
from incidents.models import EventKind, Incident
from incidents.selectors import display_name

from ..models import (
    AffectedCustomer,
    ContainmentItem,
    ContainmentStep,
    CustodyAction,
    CustodyEntry,
    Evidence,
    EvidenceKind,
    ForensicsEngagement,
    Notice,
    NoticeMessage,
    NoticeRole,
)
from . import hashing, signals
from .defaults import CONTAINMENT_STEPS
from .delivery import send_notice_task
from .selectors import notice_addresses

NOTE_LIMIT = 20_000
CLOCK_SKEW = timedelta(minutes=5)  # a field laptop's clock a little ahead is not "in the future"


def may_work(user, incident: Incident) -> bool:
    """Who acts on a security incident's response: those who may work on it (the security team's
    staff and incident managers, by the visibility rule)."""
    return incident.security and roles.can_work_on(user, incident)


def may_read(user, incident: Incident) -> bool:
    """Who reads it: those who read the incident's whole record, auditors included."""
    return incident.security and roles.sees_internal(user, incident)


def _check_worker(user, incident: Incident) -> None:
    if not incident.security:
        raise WorkflowError(f"{incident.reference} is not a security incident.")
    if not roles.can_work_on(user, incident):
        raise PermissionDenied(f"Only those who work on security incident {incident.reference} may do this.")


def _check_reader(user, incident: Incident) -> None:
    if not may_read(user, incident):
        raise PermissionDenied(f"You may not read the security record of {incident.reference}.")


def _lock(incident: Incident) -> Incident:
    return Incident.objects.select_for_update(of=("self",)).get(pk=incident.pk)


def _when(value: datetime | None, field: str, what: str) -> datetime:
    now = timezone.now()
    if value is None:
        return now
    if value > now + CLOCK_SKEW:
        raise ValidationError({field: f"{what} cannot be in the future."})
    return value


# --- containment ----------------------------------------------------------------------------------
def checklist_labels(incident: Incident) -> list[str]:
    """The steps an incident of this category starts with: its category's, else the defaults."""
    labels = []
    if incident.category_id is not None:
        labels = list(ContainmentItem.objects.filter(category_id=incident.category_id)
                      .order_by("position", "pk").values_list("label", flat=True))
    return labels or list(CONTAINMENT_STEPS)


def ensure_steps(incident: Incident) -> int:
    """Give a security incident its own containment steps, once (copied, so that a later change to
    the category's list does not rewrite what was done). Returns how many were written."""
    if not incident.security or ContainmentStep.objects.filter(incident=incident).exists():
        return 0
    with transaction.atomic():
        locked = _lock(incident)
        if ContainmentStep.objects.filter(incident=locked).exists():
            return 0
        steps = [ContainmentStep(incident=locked, position=number, label=label)
                 for number, label in enumerate(checklist_labels(locked), start=1)]
        ContainmentStep.objects.bulk_create(steps, ignore_conflicts=True)
    return len(steps)


def add_step(*, incident: Incident, user, label: str) -> ContainmentStep:
    """A step this incident needs beyond its category's list."""
    _check_worker(user, incident)
    label = single_line(label)
    if not label:
        raise ValidationError({"label": "Name the step."})
    if len(label) > 200:
        raise ValidationError({"label": "A step's name has at most 200 characters."})
    ensure_steps(incident)
    with transaction.atomic():
        locked = _lock(incident)
        last = ContainmentStep.objects.filter(incident=locked).aggregate(last=Max("position"))["last"] or 0
        step = ContainmentStep.objects.create(incident=locked, position=last + 1, label=label)
        events.record(locked, kind=EventKind.CONTAINMENT, actor=user, notify=False,
                      message=f"Containment step added: {label}")
    return step


def tick(*, incident: Incident, step_id: int, user, done: bool = True, note: str = "") -> ContainmentStep:
    """Tick (or untick) one containment step, with who and when on the step and on the timeline.

    The step's row is locked: of two people ticking the same step at once, the second is told who
    ticked it first instead of overwriting them; two steps ticked at once are both recorded."""
    _check_worker(user, incident)
    note = clean_text(note)
    if len(note) > NOTE_LIMIT:
        raise ValidationError({"note": f"A note has at most {NOTE_LIMIT:,} characters."})
    with transaction.atomic():
        step = ContainmentStep.objects.select_for_update(of=("self",)).filter(incident=incident, pk=step_id).first()
        if step is None:
            raise WorkflowError(f"{incident.reference} has no such containment step.")
        if step.done == done:
            if done:
                by = display_name(step.done_by) if step.done_by_id else "someone"
                raise WorkflowError(f"“{step.label}” was ticked already, by {by} at "
                                    f"{timezone.localtime(step.done_at):%Y-%m-%d %H:%M}.")
            raise WorkflowError(f"“{step.label}” is not ticked.")
        step.done, step.done_by, step.done_at, step.note = done, user, timezone.now(), note
        step.save(update_fields=["done", "done_by", "done_at", "note"])
        what = "Contained" if done else "Unticked"
        events.record(incident, kind=EventKind.CONTAINMENT, actor=user, notify=False,
                      message=f"{what}: {step.label}" + (f" – {note}" if note else ""))
    return step


# --- evidence -------------------------------------------------------------------------------------
def _custody(evidence: Evidence, user, action: str, **fields) -> CustodyEntry:
    entry = CustodyEntry.objects.create(evidence=evidence, action=action, actor=user, **fields)
    transaction.on_commit(lambda: signals.evidence_accessed.send_robust(
        sender=CustodyEntry, entry_id=entry.pk, evidence_id=evidence.pk, incident_id=evidence.incident_id,
        action=action, actor_id=user.pk))
    return entry


def _check_title(title: str, description: str) -> tuple[str, str]:
    title, description = single_line(title), clean_text(description)
    errors = {}
    if not title:
        errors["title"] = "Say what the evidence is."
    elif len(title) > 200:
        errors["title"] = "A title has at most 200 characters."
    if len(description) > NOTE_LIMIT:
        errors["description"] = f"A description has at most {NOTE_LIMIT:,} characters."
    if errors:
        raise ValidationError(errors)
    return title, description


def _collected(evidence: Evidence, user) -> Evidence:
    evidence.full_clean(exclude=["file"])
    evidence.save()
    _custody(evidence, user, CustodyAction.COLLECTED, to_holder=evidence.holder, sha256=evidence.sha256)
    events.record(evidence.incident, kind=EventKind.EVIDENCE, actor=user, notify=False,
                  message=f"Evidence collected: {evidence.title} ({evidence.get_kind_display().lower()}, "
                          f"{evidence.size:,} bytes, SHA-256 {evidence.sha256})")
    return evidence


def collect_file(*, incident: Incident, user, upload: UploadedFile, title: str, description: str = "",
                 collected_at: datetime | None = None) -> Evidence:
    """Keep a file as evidence: the attachments' checks (size, type by name and content), its
    SHA-256 and size computed from the upload as it streams in, stored privately."""
    _check_worker(user, incident)
    title, description = _check_title(title, description)
    collected_at = _when(collected_at, "collected_at", "The time it was collected")
    try:
        name, content_type = uploads.validate_upload(upload)
    except ValidationError as error:
        raise ValidationError({"upload": error.messages}) from None
    upload.seek(0)
    sha256, size = hashing.digest_chunks(upload.chunks())
    upload.seek(0)
    with transaction.atomic():
        locked = _lock(incident)
        evidence = Evidence(incident=locked, kind=EvidenceKind.FILE, title=title, description=description,
                            original_name=name, content_type=content_type, size=size, sha256=sha256,
                            collected_by=user, collected_at=collected_at, holder=display_name(user))
        evidence.file.save(name, upload, save=False)
        try:
            return _collected(evidence, user)
        except Exception:
            # Refused after the bytes were stored: no row points at them, so they go.
            evidence.file.storage.delete(evidence.file.name)
            raise


def collect_note(*, incident: Incident, user, title: str, note: str, description: str = "",
                 collected_at: datetime | None = None) -> Evidence:
    """Keep a note as evidence (what a witness said, what a screen showed): hashed as its UTF-8 text."""
    _check_worker(user, incident)
    title, description = _check_title(title, description)
    note = clean_text(note)
    if not note:
        raise ValidationError({"note": "Write the note."})
    if len(note) > NOTE_LIMIT:
        raise ValidationError({"note": f"A note has at most {NOTE_LIMIT:,} characters."})
    collected_at = _when(collected_at, "collected_at", "The time it was collected")
    sha256, size = hashing.digest_text(note)
    with transaction.atomic():
        locked = _lock(incident)
        return _collected(Evidence(incident=locked, kind=EvidenceKind.NOTE, title=title, description=description,
                                   note=note, size=size, sha256=sha256, collected_by=user,
                                   collected_at=collected_at, holder=display_name(user)), user)


def view(*, evidence: Evidence, user) -> CustodyEntry:
    """Someone opened the item (its note, its details): a line of custody."""
    _check_reader(user, evidence.incident)
    return _custody(evidence, user, CustodyAction.VIEWED)


@dataclass(frozen=True)
class Verified:
    """What a download found: the digest of the stored bytes and whether it is the one collected."""

    evidence: Evidence
    sha256: str
    matched: bool
    missing: bool = False
    # A file's bytes exactly as they were hashed, to serve (closed when they did not match).
    content: IO[bytes] | None = None


def verify_for_download(*, evidence: Evidence, user) -> Verified:
    """Re-compute the stored item's SHA-256 before it leaves, and log the download (or its refusal)
    in its custody. A mismatch (the stored bytes changed since collection) or a missing file is
    also a timeline event: someone must look. The caller serves the file only when it matched."""
    _check_reader(user, evidence.incident)
    missing, content = False, None
    try:
        if evidence.kind == EvidenceKind.FILE:
            sha256, _, content = hashing.digest_and_copy(evidence.file)
        else:
            sha256, _ = hashing.digest_text(evidence.note)
    except FileNotFoundError:
        sha256, missing = "", True
    matched = not missing and sha256 == evidence.sha256
    if not matched and content is not None:
        content.close()
        content = None
    with transaction.atomic():
        if matched:
            _custody(evidence, user, CustodyAction.DOWNLOADED, sha256=sha256, hash_ok=True)
        else:
            why = "the stored file is missing" if missing else f"the stored bytes hash to {sha256}"
            _custody(evidence, user, CustodyAction.REFUSED, sha256=sha256, hash_ok=False,
                     reason=f"Refused: {why}, not the {evidence.sha256} collected.")
            events.record(evidence.incident, kind=EventKind.EVIDENCE, actor=user, notify=False,
                          message=f"Evidence failed its hash check on download: {evidence.title} ({why}).")
    return Verified(evidence=evidence, sha256=sha256, matched=matched, missing=missing, content=content)


def hand_over(*, evidence: Evidence, user, to: str, reason: str) -> Evidence:
    """The item changes hands (to a colleague, to the forensics firm, to the police): from whom,
    to whom and why, in its custody."""
    _check_worker(user, evidence.incident)
    to, reason = single_line(to), clean_text(reason)
    errors = {}
    if not to:
        errors["to"] = "Say who receives it."
    elif len(to) > 200:
        errors["to"] = "At most 200 characters."
    if not reason:
        errors["reason"] = "Say why it is handed over."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Evidence.objects.select_for_update(of=("self",)).get(pk=evidence.pk)
        if locked.holder == to:
            raise ValidationError({"to": f"{to} holds it already."})
        _custody(locked, user, CustodyAction.HANDED_OVER, from_holder=locked.holder, to_holder=to, reason=reason)
        events.record(locked.incident, kind=EventKind.EVIDENCE, actor=user, notify=False,
                      message=f"Evidence handed over: {locked.title}, from {locked.holder} to {to} ({reason[:200]})")
        locked.holder = to
        locked.save(update_fields=["holder"])
    return locked


def supersede(*, evidence: Evidence, replacement: Evidence, user, reason: str) -> Evidence:
    """Evidence is never deleted: a wrong or incomplete item is superseded by another one of the same
    incident, with the reason, and both stay on the record."""
    _check_worker(user, evidence.incident)
    reason = clean_text(reason)
    if not reason:
        raise ValidationError({"reason": "Say why it is superseded."})
    if replacement.pk == evidence.pk:
        raise ValidationError({"replacement": "An item cannot supersede itself."})
    if replacement.incident_id != evidence.incident_id:
        raise ValidationError({"replacement": "Choose evidence of the same incident."})
    with transaction.atomic():
        locked = Evidence.objects.select_for_update(of=("self",)).get(pk=evidence.pk)
        if locked.superseded_by_id is not None:
            raise WorkflowError(f"“{locked.title}” is superseded already.")
        if Evidence.objects.filter(pk=replacement.pk, superseded_by__isnull=False).exists():
            raise ValidationError({"replacement": f"“{replacement.title}” is itself superseded."})
        locked.superseded_by, locked.supersede_reason = replacement, reason
        try:
            locked.save(update_fields=["superseded_by", "supersede_reason"])
        except IntegrityError:
            raise ValidationError({"replacement": f"“{replacement.title}” supersedes another item already."}) from None
        _custody(locked, user, CustodyAction.SUPERSEDED, reason=reason, to_holder=locked.holder)
        events.record(locked.incident, kind=EventKind.EVIDENCE, actor=user, notify=False,
                      message=f"Evidence superseded: {locked.title}, by {replacement.title} ({reason[:200]})")
    return locked


# --- notices to legal and compliance --------------------------------------------------------------
def notice_templates():
    """The templates a notice is written from: the communications' security notices, by e-mail."""
    return Template.objects.filter(purpose=Purpose.SECURITY, channel=Channel.EMAIL, active=True)


def send_notice(*, incident: Incident, user, role: str, template: Template, note: str = "") -> Notice:
    """Tell legal or compliance: the template rendered for the incident (and a note added), recorded
    as sent by whom to whom, an e-mail owed to each recipient (sent after commit, once each)."""
    _check_worker(user, incident)
    if role not in NoticeRole.values:
        raise ValidationError({"role": "Legal or compliance."})
    note = clean_text(note)
    if len(note) > NOTE_LIMIT:
        raise ValidationError({"note": f"A note has at most {NOTE_LIMIT:,} characters."})
    if template is None or not notice_templates().filter(pk=template.pk).exists():
        raise ValidationError({"template": "Choose an active security notice template (e-mail)."})
    addresses = notice_addresses(role)
    if not addresses:
        raise ValidationError({"role": f"No {NoticeRole(role).label.lower()} recipients are configured: add them "
                                       "under Incident response › Notice recipients."})
    try:
        rendered = template.render(incident)
    except TemplateError as error:
        raise ValidationError({"template": f"“{template}” cannot be rendered: {error}"}) from None
    subject = mail_subject(rendered.subject or f"[{incident.reference}] Security notice")
    if incident.reference not in subject:
        subject = mail_subject(f"[{incident.reference}] {subject}")
    body = rendered.body + (f"\n\n{note}" if note else "")
    with transaction.atomic():
        locked = _lock(incident)
        notice = Notice.objects.create(incident=locked, role=role, template=template, subject=subject, body=body,
                                       sent_by=user)
        NoticeMessage.objects.bulk_create([NoticeMessage(notice=notice, recipient=address) for address in addresses],
                                          ignore_conflicts=True)
        events.record(locked, kind=EventKind.NOTICE, actor=user, notify=False,
                      message=f"Notice to {NoticeRole(role).label.lower()} sent ({template}) to "
                              f"{', '.join(addresses)}"[:1000])
        outbox.enqueue_on_commit(send_notice_task, notice.pk)
    return notice


# --- forensics ------------------------------------------------------------------------------------
def engage_forensics(*, incident: Incident, user, firm: str, engaged_at: datetime | None = None, contact: str = "",
                     reference: str = "", notes: str = "") -> ForensicsEngagement:
    _check_worker(user, incident)
    firm, contact, reference, notes = single_line(firm), single_line(contact), single_line(reference), clean_text(notes)
    errors = {}
    if not firm:
        errors["firm"] = "Name the firm."
    for field, value, limit in (("firm", firm, 200), ("contact", contact, 200), ("reference", reference, 100)):
        if len(value) > limit and field not in errors:
            errors[field] = f"At most {limit} characters."
    if len(notes) > NOTE_LIMIT:
        errors["notes"] = f"Notes have at most {NOTE_LIMIT:,} characters."
    if errors:
        raise ValidationError(errors)
    engaged_at = _when(engaged_at, "engaged_at", "The time they were engaged")
    with transaction.atomic():
        locked = _lock(incident)
        engagement = ForensicsEngagement.objects.create(incident=locked, firm=firm, contact=contact,
                                                        reference=reference, engaged_at=engaged_at,
                                                        engaged_by=user, notes=notes)
        events.record(locked, kind=EventKind.FORENSICS, actor=user, notify=False,
                      message=f"External forensics engaged: {firm}" + (f", {contact}" if contact else "")
                              + (f" (ref. {reference})" if reference else ""))
    return engagement


# --- affected customers ---------------------------------------------------------------------------
def add_customer(*, incident: Incident, user, name: str, email: str) -> AffectedCustomer:
    """A customer the incident affected: they hear the updates posted to the affected customers."""
    _check_worker(user, incident)
    name, email = single_line(name), (email or "").strip().lower()
    customer = AffectedCustomer(incident=incident, name=name, email=email, added_by=user)
    customer.full_clean(exclude=["incident", "added_by"], validate_unique=False)
    with transaction.atomic():
        locked = _lock(incident)
        try:
            with transaction.atomic():
                customer.incident = locked
                customer.save()
        except IntegrityError:
            raise ValidationError({"email": f"{email} is listed already."}) from None
        events.record(locked, kind=EventKind.SECURITY, actor=user, notify=False,
                      message=f"Affected customer listed: {name}")
    return customer


def remove_customer(*, customer: AffectedCustomer, user) -> None:
    incident = customer.incident
    _check_worker(user, incident)
    with transaction.atomic():
        locked = _lock(incident)
        AffectedCustomer.objects.filter(pk=customer.pk).delete()
        events.record(locked, kind=EventKind.SECURITY, actor=user, notify=False,
                      message=f"Affected customer no longer listed: {customer.name}")


def post_customer_update(*, incident: Incident, user, template: Template, text: str = ""):
    """An update to the affected customers, and only them, from a template (rendered over the
    incident's public fields: no work note reaches them), through the communications' outbox."""
    _check_worker(user, incident)
    if template is None:
        raise ValidationError({"template": "Choose a template."})
    try:
        rendered = template.render(incident)
    except TemplateError as error:
        raise ValidationError({"template": f"“{template}” cannot be rendered: {error}"}) from None
    text = clean_text(text)
    body = rendered.body + (f"\n\n{text}" if text else "")
    return comms.post_update(incident=incident, author=user, body=body, subject=rendered.subject,
                             to_customers=True, template=template)
