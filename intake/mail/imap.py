"""Reading an IMAP mailbox: every unseen message is processed once, then flagged \\Seen.

A message is fetched with BODY.PEEK[] (reading does not mark it seen), processed in its own
transaction (`process.receive`), and flagged only after that committed. A worker that dies between
the two leaves the message unseen: the next poll reads it again, finds its row by the Message-ID,
and just flags it. So a killed worker, a poll that runs twice, or two polls at once lose nothing
and duplicate nothing. A message that cannot be processed is quarantined (its row keeps the raw
bytes) and flagged like the others, so that it does not block the mailbox. A message over
ITSM_MAIL_MAX_BYTES is never fetched whole: its header is quarantined, and the message is left in
the mailbox (flagged) for a person to look at.
"""

from __future__ import annotations

import contextlib
import logging
import os
import ssl
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from ..models import Mailbox, MailboxKind, MessageOutcome, TlsMode
from .process import receive, receive_too_large

logger = logging.getLogger(__name__)
SEEN = b"\\Seen"
# Looked at this many at a time, and fetched at most FETCH_BYTES at a time: a mailbox that filled
# up while the worker was down is read in steps, not all into memory at once.
BATCH = 20
FETCH_BYTES = 8 * 1024 * 1024


class MailboxUnavailable(Exception):
    """The mailbox could not be read (server, credentials, folder); the sentence says which."""


@dataclass
class PollResult:
    read: int = 0
    duplicates: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


def connect(mailbox: Mailbox) -> IMAPClient:
    """A logged-in client with the mailbox's folder selected, or MailboxUnavailable."""
    password = os.environ.get(mailbox.password_env, "") if mailbox.password_env else ""
    if not password:
        raise MailboxUnavailable(f"The environment variable {mailbox.password_env or '(none)'} that holds the "
                                 f"password of {mailbox} is not set.")
    context = ssl.create_default_context()
    try:
        client = IMAPClient(mailbox.host, port=mailbox.imap_port, ssl=mailbox.tls == TlsMode.SSL,
                            ssl_context=context, timeout=settings.ITSM_MAIL_IMAP_TIMEOUT_SECONDS)
        if mailbox.tls == TlsMode.STARTTLS:
            client.starttls(context)
        client.login(mailbox.username, password)
        client.select_folder(mailbox.folder)
    except (OSError, IMAPClientError) as error:
        raise MailboxUnavailable(f"Could not read {mailbox} at {mailbox.host}:{mailbox.imap_port}: {error}") from None
    return client


def poll(mailbox: Mailbox) -> PollResult:
    """Process every unseen message of the mailbox. Records the time and any error on the mailbox."""
    result = PollResult()
    try:
        client = connect(mailbox)
        try:
            _read_unseen(client, mailbox, result)
        finally:
            with contextlib.suppress(OSError, IMAPClientError):
                client.logout()
    except (MailboxUnavailable, OSError, IMAPClientError) as error:
        logger.warning("%s", error)
        Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error=str(error)[:2000])
        raise MailboxUnavailable(str(error)) from None
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error="")
    return result


def _read_unseen(client: IMAPClient, mailbox: Mailbox, result: PollResult) -> None:
    uids = sorted(client.search(["UNSEEN", "NOT", "DELETED"]))
    for start in range(0, len(uids), BATCH):
        batch = uids[start:start + BATCH]
        sizes = {uid: data.get(b"RFC822.SIZE", 0) for uid, data in client.fetch(batch, ["RFC822.SIZE"]).items()}
        for uids_together in _by_size(batch, sizes):
            for uid, data in sorted(client.fetch(uids_together, ["BODY.PEEK[]"]).items()):
                if b"BODY[]" in data:  # else expunged meanwhile by another client
                    _record(client, uid, receive(mailbox, data[b"BODY[]"]), result)
        too_large = [uid for uid in batch if sizes.get(uid, 0) > settings.ITSM_MAIL_MAX_BYTES]
        if too_large:
            for uid, data in sorted(client.fetch(too_large, ["BODY.PEEK[HEADER]"]).items()):
                if b"BODY[HEADER]" in data:
                    _record(client, uid, receive_too_large(mailbox, data[b"BODY[HEADER]"], sizes[uid]), result)


def _by_size(uids: list[int], sizes: dict[int, int]) -> list[list[int]]:
    """The messages within the size limit, in fetches of at most FETCH_BYTES each (one message
    alone when it is larger): a full mailbox is never all in memory at once."""
    groups: list[list[int]] = []
    total = FETCH_BYTES
    for uid in uids:
        size = sizes.get(uid)
        if size is None or size > settings.ITSM_MAIL_MAX_BYTES:
            continue
        if total + size > FETCH_BYTES:
            groups.append([])
            total = 0
        groups[-1].append(uid)
        total += size
    return groups


def _record(client: IMAPClient, uid: int, row, result: PollResult) -> None:
    result.read += 1
    result.duplicates += row.duplicate
    outcome = MessageOutcome(row.outcome).label if not row.duplicate else "duplicate"
    result.outcomes[outcome] = result.outcomes.get(outcome, 0) + 1
    # Only now that its row is committed: a crash before this line leaves it to be read again.
    client.add_flags([uid], [SEEN])


def imap_mailboxes():
    return (Mailbox.objects.filter(active=True, kind=MailboxKind.IMAP)
            .select_related("default_category", "default_team").order_by("pk"))
