"""What to search for, with what weight: the typed words, their synonyms, and spelling
corrections for words the knowledge base does not contain."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .synonyms import synonyms_of
from .vocabulary import Vocabulary

TYPED = 1.0
SYNONYM = 0.5
# A correction's weight is its similarity times this: "outlok" -> "outlook" (0.6) counts about half.
CORRECTION = 0.8
MIN_CORRECTABLE = 4  # shorter words have too many close neighbours to guess


@dataclass(frozen=True)
class QueryTerm:
    text: str
    weight: float
    # True for an index term found by spelling correction: already in the index's own (stemmed)
    # form, so it is searched as it is instead of being stemmed again.
    index_form: bool = False


def expand(words: Iterable[str]) -> list[QueryTerm]:
    """The typed words (weight 1), then their synonyms (weight 0.5) that were not typed."""
    words = list(words)
    terms = {word: QueryTerm(word, TYPED) for word in words}
    for word in words:
        for synonym in synonyms_of(word):
            terms.setdefault(synonym, QueryTerm(synonym, SYNONYM))
    return list(terms.values())


def corrections(words: Iterable[str], is_known: Callable[[str], bool], vocabulary: Vocabulary) -> list[QueryTerm]:
    """Index terms close to the typed words that match nothing (probably misspelt)."""
    found: dict[str, QueryTerm] = {}
    for word in words:
        if len(word) < MIN_CORRECTABLE or not word.isalpha() or is_known(word):
            continue
        for term, score in vocabulary.closest(word):
            weight = score * CORRECTION
            if term not in found or found[term].weight < weight:
                found[term] = QueryTerm(term, weight, index_form=True)
    return list(found.values())
