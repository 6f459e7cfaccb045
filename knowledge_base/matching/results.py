"""Turning matched rows into `Suggestion`s, the same way for every backend."""

from __future__ import annotations

from collections.abc import Iterable

from ..rendering import plain_text
from . import ARTICLE, KNOWN_ERROR, Suggestion

EXCERPT_CHARS = 280


def known_error(pk: int, title: str, workaround: str, score: float) -> Suggestion:
    return Suggestion(KNOWN_ERROR, int(pk), title, plain_text(workaround, limit=EXCERPT_CHARS), float(score))


def article(pk: int, title: str, body: str, score: float) -> Suggestion:
    return Suggestion(ARTICLE, int(pk), title, plain_text(body, limit=EXCERPT_CHARS), float(score))


def best(suggestions: Iterable[Suggestion], limit: int) -> list[Suggestion]:
    # Ties break on kind and id so the order is stable between calls.
    return sorted(suggestions, key=lambda s: (-s.score, s.kind != KNOWN_ERROR, s.id))[:limit]
