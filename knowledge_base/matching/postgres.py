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


def weighted_lexemes(words: list[str], cursor, alias: str) -> dict[str, float]:
    """Index terms to search for, with weight x idf, the most telling first."""
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
    best = sorted(weights.items(), key=lambda item: -item[1])[:MAX_QUERY_TERMS]
    return dict(best)


def _ranked(cursor, table: str, text_field: str, filters: str, lexemes: dict[str, float],
            short_text: str | None, limit: int) -> list[tuple]:
    # Placeholders are generated per term; every value, lexemes included, is a bound parameter.
    # 'simple' keeps the index terms as they are: they are stemmed already.
    term_sql = "plainto_tsquery('simple', %s)"
    rank_parts, rank_params, any_parts, any_params = [], [], [], []
    for lexeme, weight in lexemes.items():
        rank_parts.append(f"%s * ts_rank(%s::float4[], t.search_vector, {term_sql})")
        rank_params += [weight, WEIGHTS, lexeme]
        any_parts.append(term_sql)
        any_params.append(lexeme)
    conditions, condition_params = [], []
    if any_parts:
        conditions.append(f"t.search_vector @@ ({' || '.join(any_parts)})")
        condition_params += any_params
    if short_text:
        rank_parts.append("%s * word_similarity(%s, t.title)")
        rank_params += [TRIGRAM_WEIGHT, short_text]
        conditions.append("%s <%% t.title")
        condition_params.append(short_text)
    cursor.execute(
        f"""SELECT t.id, t.title, t.{text_field}, {' + '.join(rank_parts)} AS score
            FROM {table} t
            WHERE t.state = %s {filters} AND ({' OR '.join(conditions)})
            ORDER BY score DESC, t.id LIMIT %s""",
        [*rank_params, State.PUBLISHED.value, *condition_params, limit],
    )
    return cursor.fetchall()


def suggest(words: list[str], *, limit: int, public_only: bool):
    alias = router.db_for_read(KnownError)
    short_text = " ".join(words) if len(words) <= TRIGRAM_MAX_WORDS else None
    with connections[alias].cursor() as cursor:
        lexemes = weighted_lexemes(words, cursor, alias)
        if not lexemes and not short_text:
            return []
        ke_filter = "AND t.public" if public_only else ""
        article_filter = f"AND t.audience = '{Audience.PUBLIC.value}'" if public_only else ""
        found = [results.known_error(*row) for row in _ranked(
            cursor, KnownError._meta.db_table, "workaround", ke_filter, lexemes, short_text, limit)]
        found += [results.article(*row) for row in _ranked(
            cursor, Article._meta.db_table, "body", article_filter, lexemes, short_text, limit)]
    return results.best(found, limit)
