"""SQLite: FTS5 tables (migration 0002, kept in step by `search_index`) ranked with bm25.

Each term is quoted, so FTS5 reads it as a plain string and never as syntax. Terms are OR-ed;
bm25 weighs rare terms above common ones and, with the column weights, title hits above body
hits. Typed words that match nothing are replaced by the closest index terms (spelling).
"""

from __future__ import annotations

from django.db import connections, router

from ..models import KnownError
from ..workflow import State
from . import plan, results, vocabulary
from .vocabulary import Vocabulary

# bm25 column weights: title, symptoms, workaround, root cause (known errors); title, body (articles).
KNOWN_ERROR_WEIGHTS = (10.0, 4.0, 2.0, 1.0)
ARTICLE_WEIGHTS = (10.0, 4.0)
TABLES = ("kb_knownerror_fts", "kb_article_fts")


def match_expression(terms: list[str]) -> str:
    # Terms are runs of letters and digits (see terms.py): quoting makes even "NEAR" or "OR" a word.
    return " OR ".join(f'"{term}"' for term in terms)


def _load_vocabulary(cursor) -> Vocabulary:
    cursor.execute(
        "SELECT term, sum(doc) FROM (SELECT term, doc FROM kb_knownerror_fts_vocab "
        "UNION ALL SELECT term, doc FROM kb_article_fts_vocab) GROUP BY term"
    )
    frequency = dict(cursor.fetchall())
    cursor.execute("SELECT (SELECT count(*) FROM kb_knownerror_fts) + (SELECT count(*) FROM kb_article_fts)")
    return Vocabulary(cursor.fetchone()[0], frequency)


def _known(cursor, words: list[str]) -> set[str]:
    """Which of the words match something (in their stemmed form, as FTS5 sees them)."""
    if not words:
        return set()
    exists = " OR ".join(f"EXISTS (SELECT 1 FROM {table} WHERE {table} MATCH %s)" for table in TABLES)
    cursor.execute(
        " UNION ALL ".join(f"SELECT %s, {exists}" for _ in words),
        [param for word in words for param in (word, *[f'"{word}"'] * len(TABLES))],
    )
    return {word for word, found in cursor.fetchall() if found}


def suggest(words: list[str], *, limit: int, public_only: bool):
    terms = plan.expand(words)
    alias = router.db_for_read(KnownError)
    with connections[alias].cursor() as cursor:
        correctable = [w for w in words if len(w) >= plan.MIN_CORRECTABLE and w.isalpha()]
        known = _known(cursor, correctable)
        if len(known) < len(correctable):
            vocab = vocabulary.get(f"{alias}:sqlite", lambda: _load_vocabulary(cursor))
            terms += plan.corrections(correctable, known.__contains__, vocab)
        expression = match_expression(list(dict.fromkeys(t.text for t in terms)))
        ke_weights = ", ".join(str(w) for w in KNOWN_ERROR_WEIGHTS)
        article_weights = ", ".join(str(w) for w in ARTICLE_WEIGHTS)
        public_ke = "AND ke.public" if public_only else ""
        public_article = "AND a.audience = 'public'" if public_only else ""
        cursor.execute(
            f"""SELECT ke.id, ke.title, ke.workaround, -bm25(kb_knownerror_fts, {ke_weights}) AS score
                FROM kb_knownerror_fts JOIN knowledge_base_knownerror ke ON ke.id = kb_knownerror_fts.rowid
                WHERE kb_knownerror_fts MATCH %s AND ke.state = %s {public_ke}
                ORDER BY score DESC LIMIT %s""",
            [expression, State.PUBLISHED, limit],
        )
        found = [results.known_error(*row) for row in cursor.fetchall()]
        cursor.execute(
            f"""SELECT a.id, a.title, a.body, -bm25(kb_article_fts, {article_weights}) AS score
                FROM kb_article_fts JOIN knowledge_base_article a ON a.id = kb_article_fts.rowid
                WHERE kb_article_fts MATCH %s AND a.state = %s {public_article}
                ORDER BY score DESC LIMIT %s""",
            [expression, State.PUBLISHED, limit],
        )
        found += [results.article(*row) for row in cursor.fetchall()]
    return results.best(found, limit)
