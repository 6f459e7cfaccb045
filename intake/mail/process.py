"""One message in: recorded once, and turned into an incident, a reply, or a reason it was not.

`receive` is the one way in, for the IMAP poll and the pipe endpoint alike. A message is processed
in one transaction that writes its `InboundMessage` row (unique `message_key`) together with the
incident or comment it makes. So a message read twice (the task ran twice, a worker died before
flagging it, the mail server piped it again) finds its row and stops, also when both copies arrive
at once (the second insert fails on the unique key and is a duplicate); and a message whose
processing fails leaves nothing behind but its quarantine row, with the raw bytes and the reason.

What a message becomes, in this order:
- unreadable (too large, a MIME bomb, malformed headers): quarantined;
- a program's (auto-reply, bounce, list, our own mail): ignored (`loops`);
- over its sender's hourly budget: rate-limited, and not answered;
- from an unknown address: a reporter account is made, or it is refused with one reply that is
  itself marked as automatic (`replies`), per the mailbox's setting;
- a reply to an incident (our Message-IDs in In-Reply-To/References, or `[INC-000123]` in the
  subject) on which the sender may write: a public comment, the quoted history cut; on a resolved
  incident it follows the portal's rule (ITSM_REPORTER_REPLY_REOPENS). A reply to an incident that
  is closed, or that the sender may not write on (someone else's, or a forged reference), opens a
  new incident for the sender instead: their words are a report, and no one else's incident is
  touched or named to them;
- otherwise: a new incident, the subject its summary and the text its description.
Attachments go through the portal's upload checks one by one: a refused one is listed on the row
and under the text, and the rest of the mail lands.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from core import outbox
from core.errors import WorkflowError
from incidents import mail_ids, roles, services
from incidents.models import Channel, Incident
from incidents.uploads import validate_upload
from incidents.workflow import State

from ..models import InboundMessage, Mailbox, MessageOutcome, UnknownSenders
from . import loops, parse, replies, senders

logger = logging.getLogger(__name__)

# Errors of the message, not of the system: the services' refusals and checks. Anything else
# unexpected quarantines the message too (it is never lost), except the database's own errors,
# which are transient and leave the message to be read again.
REFUSALS = (ValidationError, WorkflowError, PermissionDenied)
CLOSED_STATES = (State.CLOSED, State.CANCELLED)
TEXT_CUT = "\n\n[The rest of the text was cut here; the whole message is kept with the intake record.]"


class Duplicate(Exception):
    def __init__(self, earlier: InboundMessage) -> None:
        self.earlier = earlier


@dataclass
class Files:
    accepted: list[SimpleUploadedFile]
    rejected: list[dict]

    def note(self) -> str:
        """The line under the text that says which files did not come through, and why."""
        if not self.rejected:
            return ""
        listed = "; ".join(f"{item['name']}: {item['reason']}" for item in self.rejected)
        return f"\n\nNot attached (refused by the upload checks): {listed}"


def key_of(message_id: str, digest: str) -> str:
    return message_id[:255] if message_id else f"sha256:{digest}"


def receive(mailbox: Mailbox, raw: bytes) -> InboundMessage:
    """Process one raw message for `mailbox`, once. Returns its row; `row.duplicate` is True when
    the message had been received before (nothing was done this time)."""
    digest = hashlib.sha256(raw).hexdigest()
    try:
        message = parse.parse(raw)
    except parse.Unreadable as error:
        return _quarantine(mailbox, raw, digest, key_of(parse.message_id_of(raw), digest), str(error))
    key = key_of(message.message_id, digest)
    earlier = InboundMessage.objects.select_related("incident").filter(message_key=key).first()
    if earlier is not None:
        return _duplicate(earlier)
    try:
        with transaction.atomic():
            row = _claim(mailbox, raw, digest, key, message)
            _act(row, mailbox, message)
    except Duplicate as duplicate:
        return _duplicate(duplicate.earlier)
    except DatabaseError:
        raise
    except Exception as error:  # noqa: BLE001 - a message that breaks processing is kept, never lost
        if not isinstance(error, REFUSALS):
            logger.exception("Message %s from %s quarantined after an unexpected error", key, message.sender)
        return _quarantine(mailbox, raw, digest, key, _sentence(error), message=message)
    row.duplicate = False
    return row


def receive_too_large(mailbox: Mailbox, header: bytes, size: int) -> InboundMessage:
    """A message over ITSM_MAIL_MAX_BYTES, known by its header alone (the IMAP poll does not fetch
    the rest): quarantined with the header, once, and left in the mailbox."""
    digest = hashlib.sha256(header).hexdigest()
    reason = (f"The message is {size / 1048576:.1f} MB; at most {settings.ITSM_MAIL_MAX_BYTES / 1048576:.0f} MB "
              f"are accepted. Only its header is kept here; the message is left in {mailbox.folder} of {mailbox}.")
    return _quarantine(mailbox, header, digest, key_of(parse.message_id_of(header), digest), reason, size=size)


def release(row: InboundMessage, *, by) -> InboundMessage:
    """Process a quarantined message again (the desk's "release", once it can be: a limit raised,
    an account made, the incident reopened). Still unreadable or still refused, it stays in the
    quarantine with the new reason. Not rate-limited: a person decided to let it in."""
    with transaction.atomic():
        locked = InboundMessage.objects.select_for_update().select_related("mailbox").get(pk=row.pk)
        if locked.outcome != MessageOutcome.QUARANTINED:
            raise WorkflowError(f"That message is not in the quarantine ({locked.get_outcome_display().lower()}).")
        with locked.raw.open("rb") as handle:
            raw = handle.read()
        if len(raw) != locked.size:
            raise WorkflowError("Only the header of that message is kept (it was too large to fetch); take it from "
                                "the mailbox instead.")
        was = locked.reason
        try:
            message = parse.parse(raw)
            with transaction.atomic():
                _act(locked, locked.mailbox, message, released_by=by, was=was)
        except parse.Unreadable as error:
            _requarantine(locked, f"{error} (released by {by}, still unreadable)")
        except REFUSALS as error:
            _requarantine(locked, f"{_sentence(error)} (released by {by}, still refused)")
    locked.duplicate = False
    return locked


def _requarantine(row: InboundMessage, reason: str) -> None:
    row.reason = reason
    row.save(update_fields=["reason"])


def _duplicate(earlier: InboundMessage) -> InboundMessage:
    earlier.duplicate = True
    return earlier


def _claim(mailbox: Mailbox, raw: bytes, digest: str, key: str, message: parse.Message) -> InboundMessage:
    """Write the row first, in its own savepoint: of two copies processed at once, the second
    waits on the unique key and then stops here, before it has done anything."""
    row = InboundMessage(mailbox=mailbox, message_key=key, message_digest=digest, sender=message.sender,
                         subject=message.subject, outcome=MessageOutcome.QUARANTINED, size=len(raw),
                         reason="Being processed.")
    row.raw.save(f"{digest}.eml", ContentFile(raw), save=False)
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        raise Duplicate(InboundMessage.objects.select_related("incident").get(message_key=key)) from None
    return row


def _act(row: InboundMessage, mailbox: Mailbox, message: parse.Message, *, released_by=None, was: str = "") -> None:
    """Decide what the message becomes and do it, in the caller's transaction; set the row's
    outcome, reason and incident, and save it."""
    outcome, reason, incident = _decide(row, mailbox, message, rate_limited=released_by is None)
    if released_by is not None and outcome in (MessageOutcome.OPENED, MessageOutcome.COMMENTED,
                                               MessageOutcome.REOPENED):
        reason = f"Released by {released_by}: {reason} (it was quarantined: {was})"
        outcome = MessageOutcome.RELEASED
    row.outcome, row.reason, row.incident = outcome, reason, incident
    row.save(update_fields=["outcome", "reason", "incident", "rejected_attachments"])
    if outcome == MessageOutcome.REFUSED:  # never a program's mail: `_decide` ignored that first
        outbox.enqueue_on_commit(replies.send_refusal_task, row.pk)


def _decide(row: InboundMessage, mailbox: Mailbox, message: parse.Message, *, rate_limited: bool):
    """(outcome, reason, incident) for the message, having done what the outcome says."""
    ignored = loops.why_ignored(message, own_addresses=loops.own_addresses(mailbox.address))
    if ignored:
        return MessageOutcome.IGNORED, ignored, None
    if rate_limited and _over_budget(message.sender, row):
        return (MessageOutcome.RATE_LIMITED,
                f"More than {settings.ITSM_MAIL_RATE_PER_HOUR} messages from {message.sender} within an hour.", None)
    user = senders.account_of(message.sender)
    if user is not None and not user.is_active:
        return MessageOutcome.REFUSED, f"The account of {message.sender} is deactivated.", None
    if user is None:
        if mailbox.unknown_senders != UnknownSenders.CREATE:
            return MessageOutcome.REFUSED, f"No account has the address {message.sender}.", None
        user = senders.reporter_account(message.sender, message.sender_name)
    files = _files(message)
    row.rejected_attachments = files.rejected
    incident = _thread(message, user)
    if incident is not None:
        return _reply(incident, user, message, files)
    text = message.text
    incident = services.incident_create(
        reporter=user, summary=message.subject or _first_line(text) or "(no subject)",
        description=_fit(text, files.note()), channel=Channel.EMAIL, category=mailbox.default_category,
        team=mailbox.default_team, files=files.accepted,
    )
    return MessageOutcome.OPENED, f"Opened {incident.reference}.", incident


def _reply(incident: Incident, user, message: parse.Message, files: Files):
    was_resolved = incident.state == State.RESOLVED
    body = _fit(message.reply_text or "(The reply had no text.)", files.note())
    services.comment_add(incident=incident, author=user, body=body, public=True, files=files.accepted)
    if was_resolved and Incident.objects.filter(pk=incident.pk).exclude(state=State.RESOLVED).exists():
        return MessageOutcome.REOPENED, f"A reply on {incident.reference}, which reopened it.", incident
    return MessageOutcome.COMMENTED, f"A reply on {incident.reference}.", incident


def _thread(message: parse.Message, user) -> Incident | None:
    """The incident the message answers, if the sender may write on it as it stands (see the
    module's docstring for what happens otherwise)."""
    reference = (mail_ids.reference_in([message.in_reply_to, message.references])
                 or mail_ids.reference_in_subject(message.subject))
    if reference is None:
        return None
    incident = Incident.objects.select_related("reporter", "team").filter(reference=reference).first()
    if incident is None or incident.state in CLOSED_STATES or not roles.can_comment(user, incident):
        return None
    return incident


def _over_budget(sender: str, row: InboundMessage) -> bool:
    since = timezone.now() - timedelta(hours=1)
    recent = InboundMessage.objects.filter(sender=sender, received_at__gte=since).exclude(pk=row.pk)
    return recent.count() >= settings.ITSM_MAIL_RATE_PER_HOUR


def _files(message: parse.Message) -> Files:
    accepted, rejected = [], []
    for attachment in message.attachments:
        upload = SimpleUploadedFile(attachment.name, attachment.content, attachment.content_type)
        try:
            validate_upload(upload)
        except ValidationError as error:
            rejected.append({"name": attachment.name, "size": len(attachment.content),
                             "reason": " ".join(error.messages)})
            continue
        accepted.append(upload)
    return Files(accepted=accepted, rejected=rejected)


def _fit(text: str, note: str) -> str:
    """The text with the note under it, cut to what an incident's description or a comment holds."""
    room = services.TEXT_LIMIT - len(note) - len(TEXT_CUT)
    if len(text) > room:
        text = text[:room] + TEXT_CUT
    return (text + note).strip()


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:200]


def _sentence(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "Refused: " + " ".join(error.messages)
    if isinstance(error, (WorkflowError, PermissionDenied)):
        return f"Refused: {getattr(error, 'message', None) or error}"
    return f"Processing failed ({type(error).__name__}: {str(error)[:300]}); kept for the desk to look at."


def _quarantine(mailbox: Mailbox, raw: bytes, digest: str, key: str, reason: str, *,
                message: parse.Message | None = None, size: int | None = None) -> InboundMessage:
    """Keep the message, raw, with why it could not be processed; nothing else is written."""
    row = InboundMessage(mailbox=mailbox, message_key=key, message_digest=digest, outcome=MessageOutcome.QUARANTINED,
                         reason=reason, size=len(raw) if size is None else size,
                         sender=message.sender if message else "",
                         subject=message.subject if message else "")
    earlier = InboundMessage.objects.select_related("incident").filter(message_key=key).first()
    if earlier is not None:
        return _duplicate(earlier)
    row.raw.save(f"{digest}.eml", ContentFile(raw), save=False)
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        return _duplicate(InboundMessage.objects.select_related("incident").get(message_key=key))
    logger.warning("Message %s quarantined: %s", key, reason)
    row.duplicate = False
    return row
