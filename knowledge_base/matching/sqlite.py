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
COMMON_SHARE = 5  # a term in more than 1/5 of the known errors is common
MIN_COMMON = 20


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


def _frequencies(cursor, terms: list[str]) -> tuple[dict[str, int], int]:
    """How many known errors or articles contain each term, counted up to a cap, and the cap.

    A term in more than a fifth of the known errors ("users", "error") barely changes a ranking
    but makes bm25 score nearly every row; counting stops at the cap so this stays cheap."""
    cursor.execute("SELECT count(*) FROM knowledge_base_knownerror WHERE state = %s", [State.PUBLISHED])
    cap = max(cursor.fetchone()[0] // COMMON_SHARE, MIN_COMMON)
    count = "(SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH %s LIMIT %s))"
    per_term = " + ".join(count.format(table=table) for table in TABLES)
    cursor.execute(
        " UNION ALL ".join(f"SELECT %s, {per_term}" for _ in terms),
        [param for term in terms for param in (term, *[f'"{term}"', cap] * len(TABLES))],
    )
    return dict(cursor.fetchall()), cap


def suggest(words: list[str], *, limit: int, public_only: bool):
    alias = router.db_for_read(KnownError)
    with connections[alias].cursor() as cursor:
        terms = [t.text for t in plan.expand(words)]
        frequency, cap = _frequencies(cursor, terms)
        if any(not frequency[w] for w in words):
            vocab = vocabulary.get(f"{alias}:sqlite", lambda: _load_vocabulary(cursor))
            terms += [t.text for t in plan.corrections(words, lambda w: frequency.get(w, 0) > 0, vocab)]
        common = {t for t in terms if frequency.get(t, 0) >= cap}
        # Keep the common terms only when the text has nothing else.
        wanted = [t for t in dict.fromkeys(terms) if t not in common and frequency.get(t, 1)] or list(common)
        if not wanted:
            return []
        expression = match_expression(wanted)
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
