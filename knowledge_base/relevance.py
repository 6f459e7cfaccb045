"""How good is matching? Recall and MRR of `matching.suggest` over labelled incident texts.

The labelled set lives in `knowledge_base/relevance_set` (hand-written known errors, and incident
texts as people type them, each labelled with the known error it should find).
`load_fixture_set()` puts it in the database and returns the cases; `evaluate()` scores them.
The tests assert floors on these figures; `make bench` reports them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from django.db import transaction

from . import matching
from .models import Category, KnownError
from .workflow import State

DEPTH = 10  # MRR counts a hit down to this rank


class RelevanceCase(NamedTuple):
    text: str
    known_error_id: int


def evaluate(cases: Iterable[RelevanceCase | tuple[str, int]], *, public_only: bool = False) -> dict[str, float]:
    """recall@1, recall@3 and mean reciprocal rank (to rank 10) of the expected known errors.

    Also returns `cases` (how many) and `misses` (texts whose known error is not in the top 3)."""
    total = hits_at_1 = hits_at_3 = 0
    reciprocal = 0.0
    misses: list[str] = []
    for text, expected in cases:
        total += 1
        ranked = [s.id for s in matching.suggest(text, limit=DEPTH, public_only=public_only)
                  if s.kind == matching.KNOWN_ERROR]
        rank = ranked.index(expected) + 1 if expected in ranked else None
        if rank == 1:
            hits_at_1 += 1
        if rank is not None and rank <= 3:
            hits_at_3 += 1
        else:
            misses.append(text)
        if rank is not None:
            reciprocal += 1.0 / rank
    if not total:
        return {"recall_at_1": 0.0, "recall_at_3": 0.0, "mrr": 0.0, "cases": 0, "misses": []}
    return {
        "recall_at_1": hits_at_1 / total,
        "recall_at_3": hits_at_3 / total,
        "mrr": reciprocal / total,
        "cases": total,
        "misses": misses,
    }


def load_fixture_set(*, user=None, texts: Iterable | None = None) -> list[RelevanceCase]:
    """Create the labelled known errors as published items (once; existing titles are kept) and
    return the labelled incident texts (all of them, or `texts`) with the ids of their known errors."""
    from .relevance_set import INCIDENT_TEXTS, KNOWN_ERRORS

    with transaction.atomic():
        categories = {name: Category.objects.get_or_create(name=name)[0]
                      for name in sorted({row.category for row in KNOWN_ERRORS})}
        existing = dict(KnownError.objects.filter(title__in=[r.title for r in KNOWN_ERRORS])
                        .values_list("title", "pk"))
        ids: dict[str, int] = {}
        for row in KNOWN_ERRORS:
            if row.title in existing:
                ids[row.key] = existing[row.title]
                continue
            item = KnownError(
                state=State.PUBLISHED, title=row.title, symptoms=row.symptoms, root_cause=row.root_cause,
                workaround=row.workaround, category=categories[row.category], affected_service=row.service,
                public=row.public, created_by=user,
            )
            item.published_at = item.created_at
            item._history_user = user
            item._change_reason = "Imported from the relevance fixture set"
            item.save()
            ids[row.key] = item.pk
    return [RelevanceCase(case.text, ids[case.expected]) for case in (INCIDENT_TEXTS if texts is None else texts)]


def with_typos(cases: Iterable[RelevanceCase], *, rate: float = 0.3, seed: int = 7) -> list[RelevanceCase]:
    """The same cases with misspellings: each word of 5+ letters gets, with probability `rate`,
    one slip of the fingers (a letter dropped, doubled or swapped with its neighbour)."""
    import random
    import re

    rng = random.Random(seed)

    def slip(match: re.Match) -> str:
        word = match.group(0)
        if len(word) < 5 or rng.random() >= rate:
            return word
        i = rng.randrange(1, len(word) - 1)
        kind = rng.choice(("drop", "double", "swap"))
        if kind == "drop":
            return word[:i] + word[i + 1:]
        if kind == "double":
            return word[:i] + word[i] + word[i:]
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]

    return [RelevanceCase(re.sub(r"[A-Za-z]+", slip, text), expected) for text, expected in cases]
