"""PostgreSQL: weighted full-text search over the generated `search_vector` columns (migration
0002), each term weighted by its rarity, plus pg_trgm similarity of short texts to titles.

score = sum over terms of  weight(term) * idf(term) * ts_rank(search_vector, term)
        + TRIGRAM_WEIGHT * word_similarity(text, title)        (texts of up to TRIGRAM_MAX_WORDS words)

ts_rank brings the field weights (title A > symptoms B > workaround C > root cause D) but knows
nothing of how common a word is; idf from the vocabulary (`ts_stat`) adds that, so "AADSTS50105"
outweighs "app". Every term is a bound parameter of plainto_tsquery: no user text is parsed as
query syntax.
"""

from __future__ import annotations

from django.db import connections, router

from ..models import Article, Audience, KnownError
from ..workflow import State
from . import plan, results, vocabulary
from .vocabulary import Vocabulary

CONFIG = "english"
# ts_rank weights for D, C, B, A: root cause, workaround, symptoms/body, title.
WEIGHTS = [0.1, 0.2, 0.4, 1.0]
TRIGRAM_WEIGHT = 0.5
TRIGRAM_MAX_WORDS = 8
MAX_QUERY_TERMS = 20
# Rows the selecting terms may match (by their document counts). Small enough that the planner
# reads them through the GIN index instead of scanning the table.
CANDIDATE_BUDGET = 500
RERANK = 50


def _load_vocabulary(cursor) -> Vocabulary:
    published = State.PUBLISHED.value
    documents = (
        f"SELECT search_vector FROM knowledge_base_knownerror WHERE state = '{published}' "
        f"UNION ALL SELECT search_vector FROM knowledge_base_article WHERE state = '{published}'"
    )
    cursor.execute("SELECT word, ndoc FROM ts_stat(%s)", [documents])
    frequency = dict(cursor.fetchall())
    cursor.execute(
        "SELECT (SELECT count(*) FROM knowledge_base_knownerror WHERE state = %s)"
        " + (SELECT count(*) FROM knowledge_base_article WHERE state = %s)",
        [published, published],
    )
    return Vocabulary(cursor.fetchone()[0], frequency)


def _lexemes(cursor, words: list[str]) -> dict[str, list[str]]:
    """How PostgreSQL's English configuration stems each word (a stop word gives none)."""
    cursor.execute(
        "SELECT w, tsvector_to_array(to_tsvector(%s::regconfig, w)) FROM unnest(%s::text[]) AS w",
        [CONFIG, words],
    )
    return dict(cursor.fetchall())


def weighted_lexemes(words: list[str], cursor, alias: str) -> tuple[dict[str, float], list[str]]:
    """Index terms to rank by, with weight x idf, the most telling first; and those that select
    the candidate rows."""
    terms = plan.expand(words)
    stems = _lexemes(cursor, [t.text for t in terms])
    vocab = vocabulary.get(f"{alias}:postgresql", lambda: _load_vocabulary(cursor))
    frequency = vocab.frequency

    def known(word: str) -> bool:
        return any(lexeme in frequency for lexeme in stems.get(word, ()))

    terms += plan.corrections(words, known, vocab)
    weights: dict[str, float] = {}
    for term in terms:
        for lexeme in [term.text] if term.index_form else stems.get(term.text, ()):
            df = frequency.get(lexeme, 0)
            if df:
                weights[lexeme] = max(weights.get(lexeme, 0.0), term.weight * vocab.idf(df))
    ranked = sorted(weights.items(), key=lambda item: -item[1])[:MAX_QUERY_TERMS]
    # The rarest terms select the candidates, up to a budget of rows; the common ones only
    # help to order them. Without this, "window" or "users" would send every row to ts_rank.
    selecting, rows = [], 0
    for lexeme, _ in sorted(ranked, key=lambda item: frequency[item[0]]):
        if selecting and rows + frequency[lexeme] > CANDIDATE_BUDGET:
            break
        selecting.append(lexeme)
        rows += frequency[lexeme]
    return dict(ranked), selecting


def _ranked(cursor, table: str, text_field: str, filters: str, lexemes: dict[str, float], selecting: list[str],
            short_text: str | None, limit: int) -> list[tuple]:
    if not selecting:
        return []
    # Placeholders are generated per term; every value, lexemes included, is a bound parameter.
    # 'simple' keeps the index terms as they are: they are stemmed already.
    term_sql = "plainto_tsquery('simple', %s)"
    rank_sql, rank_params = [], []
    for lexeme, weight in lexemes.items():
        rank_sql.append(f"%s * ts_rank(%s::float4[], t.search_vector, {term_sql})")
        rank_params += [weight, WEIGHTS, lexeme]
    # The inner query ranks the full-text candidates; the outer one adds the trigram similarity
    # of the title for short texts, computed on RERANK rows only (it is the costly part).
    similarity_sql, similarity_params = "0", []
    if short_text:
        similarity_sql, similarity_params = "%s * word_similarity(%s, c.title)", [TRIGRAM_WEIGHT, short_text]
    cursor.execute(
        f"""SELECT c.id, c.title, c.excerpt, c.score + {similarity_sql} AS score FROM (
                SELECT t.id, t.title, t.{text_field} AS excerpt, {' + '.join(rank_sql)} AS score
                FROM {table} t
                WHERE t.state = %s {filters}
                  AND t.search_vector @@ ({' || '.join([term_sql] * len(selecting))})
                ORDER BY score DESC, t.id LIMIT %s
            ) c
            ORDER BY score DESC, c.id LIMIT %s""",
        [*similarity_params, *rank_params, State.PUBLISHED.value, *selecting, max(RERANK, limit), limit],
    )
    return cursor.fetchall()


def _similar_titles(cursor, table: str, text_field: str, filters: str, short_text: str, limit: int) -> list[tuple]:
    """When no word matched: titles that look like the text (pg_trgm, through its GIN index)."""
    cursor.execute(
        f"""SELECT t.id, t.title, t.{text_field}, %s * word_similarity(%s, t.title) AS score
            FROM {table} t
            WHERE t.state = %s {filters} AND %s <%% t.title
            ORDER BY score DESC, t.id LIMIT %s""",
        [TRIGRAM_WEIGHT, short_text, State.PUBLISHED.value, short_text, limit],
    )
    return cursor.fetchall()


def suggest(words: list[str], *, limit: int, public_only: bool):
    alias = router.db_for_read(KnownError)
    short_text = " ".join(words) if len(words) <= TRIGRAM_MAX_WORDS else None
    with connections[alias].cursor() as cursor:
        lexemes, selecting = weighted_lexemes(words, cursor, alias)
        if not lexemes and not short_text:
            return []
        ke_filter = "AND t.public" if public_only else ""
        article_filter = f"AND t.audience = '{Audience.PUBLIC.value}'" if public_only else ""
        sources = [(KnownError, "workaround", ke_filter, results.known_error),
                   (Article, "body", article_filter, results.article)]
        found = []
        for model, text_field, filters, make in sources:
            table = model._meta.db_table
            rows = _ranked(cursor, table, text_field, filters, lexemes, selecting, short_text, limit)
            found += [make(*row) for row in rows]
        if not found and short_text:
            for model, text_field, filters, make in sources:
                rows = _similar_titles(cursor, model._meta.db_table, text_field, filters, short_text, limit)
                found += [make(*row) for row in rows]
    return results.best(found, limit)
