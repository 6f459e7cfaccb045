"""Which published known errors and articles look like this text?

`suggest()` is the one entry point, whatever the database: PostgreSQL full-text search with
trigram similarity (`matching.postgres`), SQLite FTS5 with bm25 (`matching.sqlite`). How each
score is made is explained in docs/matching.md. Bad input never raises: it returns fewer or no
suggestions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections, router, transaction

from ..models import KnownError
from .terms import search_terms

logger = logging.getLogger(__name__)

KNOWN_ERROR = "known_error"
ARTICLE = "article"
MAX_LIMIT = 50


@dataclass(frozen=True)
class Suggestion:
    kind: str  # KNOWN_ERROR or ARTICLE
    id: int
    title: str
    excerpt: str  # the workaround of a known error, the start of an article, as plain text
    score: float  # higher is better; comparable within one call, not across databases


def _backend():
    vendor = connections[router.db_for_read(KnownError)].vendor
    if vendor == "postgresql":
        from . import postgres

        return postgres
    if vendor == "sqlite":
        from . import sqlite

        return sqlite
    raise ImproperlyConfigured(f"Knowledge base matching supports PostgreSQL and SQLite, not {vendor}.")


def suggest(text: str, *, limit: int = 5, public_only: bool = False) -> list[Suggestion]:
    """The best `limit` published known errors and articles for `text`, best first.

    `public_only` keeps what an end user may see: known errors whose workaround is public and
    articles for a public audience."""
    try:
        limit = max(0, min(int(limit), MAX_LIMIT))
    except (TypeError, ValueError):
        limit = 5
    terms = search_terms(text if isinstance(text, str) else "")
    if not terms or not limit:
        return []
    backend = _backend()
    alias = router.db_for_read(KnownError)
    try:
        if not connections[alias].in_atomic_block:
            # Autocommit: nothing to protect, and no BEGIN (on SQLite an IMMEDIATE one would take
            # the write lock for a read).
            return backend.suggest(terms, limit=limit, public_only=public_only)
        # Inside the caller's transaction: a savepoint, so a failed search cannot break it.
        with transaction.atomic(using=alias):
            return backend.suggest(terms, limit=limit, public_only=public_only)
    except DatabaseError:
        # A search must not take a page down; log it and show no suggestions.
        logger.exception("knowledge base matching failed for %d terms", len(terms))
        return []


__all__ = ["ARTICLE", "KNOWN_ERROR", "Suggestion", "suggest"]
