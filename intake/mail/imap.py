"""Reading an IMAP mailbox: every unseen message is processed once, then flagged \\Seen.

A message is fetched with BODY.PEEK[] (reading does not mark it seen), processed in its own
transaction (`process.receive`), and flagged only after that committed. A worker that dies between
the two leaves the message unseen: the next poll reads it again, finds its row by the Message-ID,
and just flags it. So a killed worker, a poll that runs twice, or two polls at once lose nothing
and duplicate nothing. A message that cannot be processed is quarantined (its row keeps the raw
bytes) and flagged like the others, so that it does not block the mailbox.
"""

from __future__ import annotations

import contextlib
import logging
import os
import ssl
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from ..models import Mailbox, MailboxKind, MessageOutcome, TlsMode
from .process import receive

logger = logging.getLogger(__name__)
SEEN = b"\\Seen"
# Fetched this many at a time: a mailbox that filled up while the worker was down is read in
# steps, not all into memory at once.
BATCH = 20


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
        for uid, data in sorted(client.fetch(batch, ["BODY.PEEK[]"]).items()):
            raw = data.get(b"BODY[]")
            if raw is None:
                continue  # expunged meanwhile by another client
            try:
                row = receive(mailbox, raw)
            except DatabaseError:
                raise  # transient: left unseen, read again by the next poll
            result.read += 1
            result.duplicates += row.duplicate
            outcome = MessageOutcome(row.outcome).label if not row.duplicate else "duplicate"
            result.outcomes[outcome] = result.outcomes.get(outcome, 0) + 1
            # Only now that its row is committed: a crash before this line leaves it to be read again.
            client.add_flags([uid], [SEEN])


def imap_mailboxes():
    return (Mailbox.objects.filter(active=True, kind=MailboxKind.IMAP)
            .select_related("default_category", "default_team").order_by("pk"))
