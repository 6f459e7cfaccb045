"""The Message-IDs our e-mails carry, written and read in this one place.

Every e-mail about an incident belongs to the incident's thread: its root is `<INC-000123@domain>`
(never sent itself; every message points at it with In-Reply-To and References), and each message
has its own id from the notification row it sends, `<INC-000123.n45@domain>`, so that a message
sent again after a crash has the same id. Mail clients thread on these; the e-mail intake reads
them back: a reply that quotes one of our ids belongs to that incident, and a message whose own id
is ours is our mail coming back (a loop).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings

REFERENCE = r"INC-\d{6,}"
# The reference in a subject, as our subjects carry it: "Re: [INC-000123] New reply: ...".
SUBJECT_REFERENCE = re.compile(rf"\[({REFERENCE})\]", re.IGNORECASE)
_ANGLED = re.compile(r"<([^<>\s]+)>")


def domain() -> str:
    return settings.ITSM_MAIL_DOMAIN.lower()


def thread_root(reference: str) -> str:
    """The incident's thread: what every e-mail about it replies to."""
    return f"<{reference}@{domain()}>"


def message_id(reference: str, notification_id: int) -> str:
    """The id of the e-mail that sends notification row `notification_id`: the same on a resend."""
    return f"<{reference}.n{notification_id}@{domain()}>"


def update_message_id(reference: str, message_id: int) -> str:
    """The id of the e-mail that sends a stakeholder update's message row (`comms`)."""
    return f"<{reference}.u{message_id}@{domain()}>"


def thread_headers(reference: str, own_id: str) -> dict[str, str]:
    """The headers that put an e-mail with Message-ID `own_id` in the incident's thread."""
    root = thread_root(reference)
    return {"Message-ID": own_id, "In-Reply-To": root, "References": root}


def ids_in(header: str | None) -> list[str]:
    """The ids in a Message-ID, In-Reply-To or References header, without their angle brackets."""
    return _ANGLED.findall(header or "")


def _ours(raw_id: str) -> re.Match | None:
    local, _, host = raw_id.rpartition("@")
    if host.lower() != domain():
        return None
    return re.fullmatch(rf"({REFERENCE})(?:\.[nu]\d+)?", local, re.IGNORECASE)


def is_ours(header: str | None) -> bool:
    """Whether a Message-ID header holds one of our ids: the message is one we sent."""
    return any(_ours(raw_id) for raw_id in ids_in(header))


def reference_in(headers: Iterable[str | None]) -> str | None:
    """The incident our ids in these In-Reply-To / References headers point at, the nearest first
    (In-Reply-To, then References from its end). None when none is ours."""
    for header in headers:
        for raw_id in reversed(ids_in(header)):
            match = _ours(raw_id)
            if match:
                return match.group(1).upper()
    return None


def reference_in_subject(subject: str | None) -> str | None:
    match = SUBJECT_REFERENCE.search(subject or "")
    return match.group(1).upper() if match else None
