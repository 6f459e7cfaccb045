"""SQLite: FTS5 tables (migration 0002, kept in step by `search_index`) ranked with bm25.

Each term is quoted, so FTS5 reads it as a plain string and never as syntax. Terms are OR-ed;
bm25 weighs rare terms above common ones and, with the column weights, title hits above body
hits. Typed words that match nothing are replaced by the closest index terms (spelling). Each
term also carries its weight from `plan` (typed 1, synonym 0.5, correction by similarity), as on
PostgreSQL.
"""

from __future__ import annotations

from django.db import connections, router

from ..models import KnownError
from ..workflow import State
from . import plan, results, vocabulary
from .plan import QueryTerm
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


def _weighted(terms: list[QueryTerm]) -> dict[str, float]:
    """Each distinct term with its highest weight (a correction may also be a typed word's synonym)."""
    weights: dict[str, float] = {}
    for term in terms:
        weights[term.text] = max(weights.get(term.text, 0.0), term.weight)
    return weights


def _scored(table: str, bm25_weights: tuple[float, ...], groups: dict[float, list[str]]) -> tuple[str, list]:
    """A `WITH` query of one item per row that matches any term, scored
    Σ weight · −bm25(terms of that weight), as `scored(id, score)`.

    bm25 of an OR of terms is the sum of each term's own bm25 (FTS5 scores each phrase of the
    query on its own), so grouping the terms by weight gives each its weight and changes nothing
    else: with every weight 1 this is the plain −bm25 of the whole expression. Each group is a
    MATERIALIZED query of its own: FTS5 refuses bm25 in a query SQLite would flatten."""
    columns = ", ".join(str(w) for w in bm25_weights)
    ctes, names, params = [], [], []
    for n, (weight, group) in enumerate(groups.items()):
        ctes.append(f"w{n} AS MATERIALIZED (SELECT rowid AS id, %s * -bm25({table}, {columns}) AS score "
                    f"FROM {table} WHERE {table} MATCH %s)")
        names.append(f"SELECT id, score FROM w{n}")
        params += [weight, match_expression(group)]
    ctes.append(f"scored AS (SELECT id, sum(score) AS score FROM ({' UNION ALL '.join(names)}) GROUP BY id)")
    return "WITH " + ", ".join(ctes), params


def suggest(words: list[str], *, limit: int, public_only: bool):
    alias = router.db_for_read(KnownError)
    with connections[alias].cursor() as cursor:
        expanded = plan.expand(words)
        weights = _weighted(expanded)
        frequency, cap = _frequencies(cursor, list(weights))
        if any(not frequency[w] for w in words):
            vocab = vocabulary.get(f"{alias}:sqlite", lambda: _load_vocabulary(cursor))
            corrections = plan.corrections(words, lambda w: frequency.get(w, 0) > 0, vocab)
            weights = _weighted([*expanded, *corrections])
        common = {t for t in weights if frequency.get(t, 0) >= cap}
        # Keep the common terms only when the text has nothing else.
        wanted = [t for t in weights if t not in common and frequency.get(t, 1)] or list(common)
        if not wanted:
            return []
        # Typed words count in full, synonyms half, corrections by their similarity (plan.py).
        groups: dict[float, list[str]] = {}
        for term in wanted:
            groups.setdefault(weights[term], []).append(term)
        public_ke = "AND ke.public" if public_only else ""
        public_article = "AND a.audience = 'public'" if public_only else ""
        scored, params = _scored("kb_knownerror_fts", KNOWN_ERROR_WEIGHTS, groups)
        cursor.execute(
            f"""{scored} SELECT ke.id, ke.title, ke.workaround, m.score
                FROM scored m JOIN knowledge_base_knownerror ke ON ke.id = m.id
                WHERE ke.state = %s {public_ke}
                ORDER BY m.score DESC, ke.id LIMIT %s""",
            [*params, State.PUBLISHED, limit],
        )
        found = [results.known_error(*row) for row in cursor.fetchall()]
        scored, params = _scored("kb_article_fts", ARTICLE_WEIGHTS, groups)
        cursor.execute(
            f"""{scored} SELECT a.id, a.title, a.body, m.score
                FROM scored m JOIN knowledge_base_article a ON a.id = m.id
                WHERE a.state = %s {public_article}
                ORDER BY m.score DESC, a.id LIMIT %s""",
            [*params, State.PUBLISHED, limit],
        )
        found += [results.article(*row) for row in cursor.fetchall()]
    return results.best(found, limit)
