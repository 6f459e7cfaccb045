"""The words of the published knowledge base and how many items contain each: the source of
inverse document frequency (PostgreSQL's ts_rank has none) and of spelling corrections
("outlok" -> "outlook") on both databases.

Loaded by the backend in one query and kept per process for `TTL` seconds; any save or delete
of a known error or article in this process drops it (`clear`). Another process may use a copy
up to `TTL` old: it only shifts weights a little, it never hides an item from the results.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

TTL = 300.0
MIN_SIMILARITY = 0.45  # trigram similarity (as pg_trgm computes it) for a spelling correction


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams: the word padded with two spaces in front and one behind."""
    padded = f"  {word} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


@dataclass
class Vocabulary:
    documents: int
    frequency: dict[str, int]
    _grams: dict[str, list[str]] | None = field(default=None, repr=False)

    def idf(self, df: int) -> float:
        """BM25's inverse document frequency: high for rare words, near 0 for everywhere-words."""
        n = max(self.documents, 1)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def closest(self, word: str, *, limit: int = 2, min_similarity: float = MIN_SIMILARITY) -> list[tuple[str, float]]:
        """Index terms that look like a misspelt `word`, with their similarity, best first."""
        if self._grams is None:
            grams: dict[str, list[str]] = defaultdict(list)
            for term in self.frequency:
                if term.isalpha() and len(term) >= 3:
                    for gram in trigrams(term):
                        grams[gram].append(term)
            self._grams = dict(grams)
        shared: dict[str, int] = defaultdict(int)
        for gram in trigrams(word):
            for term in self._grams.get(gram, ()):
                shared[term] += 1
        mine = len(trigrams(word))
        scored = []
        for term, common in shared.items():
            score = common / (mine + len(trigrams(term)) - common)
            if score >= min_similarity:
                # Among equally close words prefer the commoner one: it is what people meant.
                scored.append((score, self.frequency[term], term))
        scored.sort(reverse=True)
        return [(term, score) for score, _, term in scored[:limit]]


_cache: dict[str, tuple[float, Vocabulary]] = {}
_lock = threading.Lock()


def get(key: str, load: Callable[[], Vocabulary]) -> Vocabulary:
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and now - cached[0] < TTL:
        return cached[1]
    vocabulary = load()
    with _lock:
        _cache[key] = (now, vocabulary)
    return vocabulary


def clear(*args, **kwargs) -> None:
    """Forget every loaded vocabulary (connected to save/delete signals; tests call it too)."""
    with _lock:
        _cache.clear()
