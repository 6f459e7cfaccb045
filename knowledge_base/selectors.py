"""Reads of the knowledge base that other apps and surfaces share: what matches a text, and the
published items behind the matches. The visibility rule is here once: end users see published
public items only; staff see every published item.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import matching
from .matching import ARTICLE, KNOWN_ERROR, Suggestion
from .models import Article, Audience, KnownError

__all__ = ["ARTICLE", "KNOWN_ERROR", "Suggestion", "public_item", "published_known_errors", "suggest"]


def suggest(text: str, *, limit: int = 5, public_only: bool = False) -> list[Suggestion]:
    """Published known errors and articles ranked against the text (`matching.suggest`)."""
    return matching.suggest(text, limit=limit, public_only=public_only)


def published_known_errors(ids: Iterable[int]) -> dict[int, KnownError]:
    """Published known errors by id, in one query (ids of items no longer published are left out)."""
    return KnownError.objects.published().in_bulk(list(ids))


def public_item(kind: str, pk: int | str) -> KnownError | Article | None:
    """A published item an end user may read, or None: drafts, retired and internal items are not
    there for them."""
    if not str(pk).isdigit():
        return None
    if kind == KNOWN_ERROR:
        return KnownError.objects.published().filter(pk=pk, public=True).first()
    if kind == ARTICLE:
        return Article.objects.published().filter(pk=pk, audience=Audience.PUBLIC).first()
    return None
