"""An RFC 822 message read into what intake needs: who sent it, what it answers, its text, its files.

Reading refuses (`Unreadable`, with a sentence for the quarantine list) what cannot be read safely
or without guessing: a message over the size limit, a MIME bomb (too many parts, multiparts nested
too deep: counted in the raw bytes before the parser builds anything), headers the parser could not
make sense of, or no sender address. Such a message is quarantined whole, never half-read.

HTML is reduced to text by the standard library's tokenizer: tags are dropped, the contents of
script, style and head are dropped with them, and what is left is plain text that the portal
escapes like any other. The quoted history of a reply is cut (`mailparser_reply`).
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from email import errors
from email.message import EmailMessage
from email.utils import getaddresses
from html import unescape
from html.parser import HTMLParser

from django.conf import settings
from mailparser_reply import EmailReplyParser

from core.text import single_line

# What RFC 3834 and the mail servers' own conventions mark as sent by a program.
PROGRAM_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
# Defects that mean the parser guessed: the header block ran into the body, or a multipart's
# boundaries are missing. Read further, the message would land as something other than was sent.
FATAL_DEFECTS = (errors.MissingHeaderBodySeparatorDefect, errors.NoBoundaryInMultipartDefect,
                 errors.StartBoundaryNotFoundDefect, errors.MultipartInvariantViolationDefect)
_MULTIPART = re.compile(rb"^content-type:[ \t]*multipart/", re.IGNORECASE | re.MULTILINE)
_CONTENT_TYPE = re.compile(rb"^content-type:", re.IGNORECASE | re.MULTILINE)
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(<[^<>\s]{1,250}>)", re.IGNORECASE | re.MULTILINE)
REPLY_PARSER = EmailReplyParser(languages=["en", "de", "fr", "es", "nl"])


class Unreadable(Exception):
    """The message cannot be read safely; `str()` is the sentence the quarantine shows."""


@dataclass
class Attachment:
    name: str
    content_type: str
    content: bytes


@dataclass
class Message:
    message_id: str  # with its angle brackets, or "" when it has none
    sender: str  # the From address, lower-cased
    sender_name: str
    return_path: str  # "" for the null sender (<>), None-like when absent
    subject: str
    in_reply_to: str
    references: str
    text: str  # the body as text, quoted history included
    attachments: list[Attachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # the loop-relevant headers, lower-cased names
    content_type: str = "text/plain"

    @property
    def reply_text(self) -> str:
        """The body without the quoted history under it (what a reply adds)."""
        return REPLY_PARSER.parse_reply(self.text).strip() or self.text.strip()


def message_id_of(raw: bytes) -> str:
    """The Message-ID as the raw header block gives it, without parsing (for a message that is
    quarantined because it cannot be parsed); "" when there is none that looks like one."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    match = _MESSAGE_ID.search(head)
    return match.group(1).decode("ascii", "replace") if match else ""


def check_shape(raw: bytes) -> None:
    """Refuse what must not reach the parser: too large, or a MIME bomb by its count of parts.
    Counting the declarations over-counts (a quoted header in a body counts too): it errs on the
    side of refusing a message with hundreds of parts, which mail from people does not have."""
    if len(raw) > settings.ITSM_MAIL_MAX_BYTES:
        raise Unreadable(f"The message is {len(raw) / 1048576:.1f} MB; at most "
                         f"{settings.ITSM_MAIL_MAX_BYTES / 1048576:.0f} MB are accepted.")
    parts = len(_CONTENT_TYPE.findall(raw))
    if parts > settings.ITSM_MAIL_MAX_PARTS or len(_MULTIPART.findall(raw)) > settings.ITSM_MAIL_MAX_PARTS:
        raise Unreadable(f"The message has {parts:,} parts; at most {settings.ITSM_MAIL_MAX_PARTS} are read "
                         "(a message built to exhaust the reader).")


def parse(raw: bytes) -> Message:
    """Read a raw message, or raise `Unreadable`."""
    check_shape(raw)
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        _check_structure(message, depth=0, seen=[0])
        _check_defects(message)
        return _read(message)
    except Unreadable:
        raise
    except (errors.MessageError, ValueError, TypeError, LookupError, UnicodeError, AttributeError,
            RecursionError) as error:
        # The standard library's parser raises these for headers it cannot decode.
        raise Unreadable(f"The message could not be read: {type(error).__name__}: {str(error)[:200]}") from None


def _check_structure(part: EmailMessage, *, depth: int, seen: list[int]) -> None:
    seen[0] += 1
    if seen[0] > settings.ITSM_MAIL_MAX_PARTS:
        raise Unreadable(f"The message has more than {settings.ITSM_MAIL_MAX_PARTS} parts "
                         "(a message built to exhaust the reader).")
    if depth > settings.ITSM_MAIL_MAX_DEPTH:
        raise Unreadable(f"The message's parts are nested more than {settings.ITSM_MAIL_MAX_DEPTH} deep "
                         "(a message built to exhaust the reader).")
    if part.is_multipart():
        for child in part.get_payload():
            _check_structure(child, depth=depth + 1, seen=seen)


def _check_defects(message: EmailMessage) -> None:
    for part in message.walk():
        for defect in part.defects:
            if isinstance(defect, FATAL_DEFECTS):
                raise Unreadable(f"The message is malformed: {_describe(defect)}.")
    for name in ("From", "Subject", "Message-ID", "In-Reply-To", "References", "Content-Type"):
        for value in message.get_all(name, []):
            defects = [d for d in getattr(value, "defects", ()) if not isinstance(d, errors.NonASCIILocalPartDefect)]
            if defects and name in ("From", "Content-Type"):
                raise Unreadable(f"The {name} header is malformed: {_describe(defects[0])}.")
            if "\x00" in str(value):
                raise Unreadable(f"The {name} header holds a NUL character.")
    if len(message.get_all("From", [])) != 1:
        raise Unreadable("The message needs exactly one From header.")


def _describe(defect: errors.MessageDefect) -> str:
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", type(defect).__name__.removesuffix("Defect")).lower()
    return f"{words} ({defect})" if str(defect) and str(defect) != "None" else words


def _read(message: EmailMessage) -> Message:
    addresses = [(name, address) for name, address in getaddresses([str(message["From"])]) if address]
    if len(addresses) != 1 or "@" not in addresses[0][1]:
        raise Unreadable(f"The From header names no single address: {single_line(str(message['From']))[:200]!r}.")
    sender_name, sender = addresses[0]
    return_path = message.get("Return-Path")
    text, attachments = _body_and_files(message)
    headers = {name.lower(): single_line(str(message.get(name, "")))[:500]
               for name in ("Auto-Submitted", "Precedence", "X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress",
                            "List-Id", "List-Unsubscribe", "X-Loop", "X-Failed-Recipients")
               if message.get(name) is not None}
    return Message(
        message_id=(_first_id(message.get("Message-ID")) or ""),
        sender=sender.strip().lower()[:254], sender_name=single_line(sender_name)[:150],
        return_path=None if return_path is None else str(return_path).strip(),
        subject=single_line(str(message.get("Subject", "")))[:300],
        in_reply_to=str(message.get("In-Reply-To", ""))[:5000], references=str(message.get("References", ""))[:20000],
        text=text, attachments=attachments, headers=headers, content_type=message.get_content_type(),
    )


def _first_id(value) -> str:
    match = re.search(r"<[^<>\s]{1,250}>", str(value or ""))
    return match.group(0) if match else ""


def _body_and_files(message: EmailMessage) -> tuple[str, list[Attachment]]:
    """The text (the plain part; the HTML one reduced to text when that is all there is) and the
    files. A delivery report's own parts are not files: they go nowhere (the message is ignored)."""
    plain: list[str] = []
    html: list[str] = []
    files: list[Attachment] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        if disposition == "attachment" or filename or not content_type.startswith("text/"):
            if content_type.startswith("message/") or part.get_content_maintype() == "multipart":
                continue
            content = part.get_payload(decode=True) or b""
            files.append(Attachment(name=single_line(filename or "attachment")[:200], content_type=content_type,
                                    content=content))
        elif content_type == "text/plain":
            plain.append(_text_of(part))
        elif content_type == "text/html":
            html.append(html_to_text(_text_of(part)))
    text = "\n\n".join(t.strip() for t in plain if t.strip()) or "\n\n".join(t.strip() for t in html if t.strip())
    return text.replace("\r\n", "\n"), files


def _text_of(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return payload.decode("utf-8", errors="replace")


class _TextOfHtml(HTMLParser):
    SKIP = {"script", "style", "head", "title", "noscript", "template", "svg", "math"}
    BREAKS = {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BREAKS:
            self.out.append("\n")
        if tag == "li":
            self.out.append("- ")

    def handle_endtag(self, tag) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BREAKS:
            self.out.append("\n")

    def handle_data(self, data) -> None:
        if not self.skipping:
            self.out.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML body: no tag, no script or style contents, blank runs collapsed."""
    reader = _TextOfHtml()
    reader.feed(html)
    reader.close()
    text = unescape("".join(reader.out)).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
