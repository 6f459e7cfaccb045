"""Mail that is recorded and ignored: what a program sent, which must never open an incident or be
answered (an out-of-office answering our acknowledgement, answered by us, answered by it...).

The signs, from RFC 3834 and the conventions mail servers follow: `Auto-Submitted` other than "no",
`Precedence: bulk/junk/list`, the `X-Autoreply` family, a mailing list's `List-Id`, a delivery
report (a bounce: the null sender, `multipart/report`), and our own mail coming back: a Message-ID
of ours, or a message from the mailbox's own address or the notifications' (DEFAULT_FROM_EMAIL).
"""

from __future__ import annotations

from email.utils import parseaddr

from django.conf import settings

from incidents import mail_ids

from .parse import PROGRAM_PRECEDENCE, Message

MAILER_DAEMONS = ("mailer-daemon@", "postmaster@")


def own_addresses(mailbox_address: str) -> set[str]:
    """The addresses our own mail comes from: the mailbox's, and the notifications' sender."""
    return {address.lower() for address in (mailbox_address, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]) if address}


def why_ignored(message: Message, *, own_addresses: set[str]) -> str | None:
    """Why the message is a program's, or None for one from a person."""
    if mail_ids.is_ours(message.message_id):
        return "Our own notification came back (its Message-ID is one we sent)."
    if message.sender in own_addresses:
        return "Sent from our own address: mail of ours coming back."
    headers = message.headers
    auto_submitted = headers.get("auto-submitted", "").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Sent by a program (Auto-Submitted: {auto_submitted})."
    if message.return_path is not None and message.return_path.strip("<> ") == "":
        return "A delivery report or other mail from the null sender (Return-Path: <>)."
    if message.content_type == "multipart/report" or message.sender.startswith(MAILER_DAEMONS) \
            or "x-failed-recipients" in headers:
        return "A delivery report (bounce)."
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in PROGRAM_PRECEDENCE:
        return f"Bulk or list mail (Precedence: {precedence})."
    for name in ("x-autoreply", "x-autorespond"):
        if name in headers:
            return f"An automatic reply ({name}: {headers[name][:60]})."
    if "list-id" in headers:
        return f"Mailing-list mail (List-Id: {headers['list-id'][:100]})."
    return None

