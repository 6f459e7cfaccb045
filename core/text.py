"""Text from outside (forms, e-mail, the API) made safe to store and to put in a mail header.

A summary becomes a single line: no line breaks (a summary with one made the notification e-mail
fail in the worker: a header injection attempt), no control characters, no bidirectional overrides
(which make "txt.exe" read as "exe.txt"). Longer texts keep their line breaks and tabs and lose the
rest of the same characters.
"""

from __future__ import annotations

import re
import unicodedata

# Explicit directional embeddings, overrides and isolates (LRE ... RLO, LRI ... PDI).
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def _strip(text: str, keep: str = "") -> str:
    text = text.translate(_BIDI_CONTROLS)
    return "".join(ch for ch in text if ch in keep or unicodedata.category(ch) != "Cc")


def single_line(text: str | None) -> str:
    """One line: every run of white space (line breaks included) becomes one space."""
    return re.sub(r"\s+", " ", _strip((text or "").replace("\r", " ").replace("\n", " "), keep="\t")).strip()


def clean_text(text: str | None) -> str:
    """Line breaks and tabs kept (Windows line ends made plain), other control characters dropped."""
    return _strip((text or "").replace("\r\n", "\n").replace("\r", "\n"), keep="\n\t").strip()


SUBJECT_LIMIT = 200


def mail_subject(text: str | None) -> str:
    """An e-mail subject: one line (a line break in a header is an injection), at most 200 characters."""
    return single_line(text)[:SUBJECT_LIMIT]
