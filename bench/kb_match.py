"""Benchmark 5b: known-error matching over 10,000 known errors, against a plain icontains scan.

Latency: the same incident texts (the labelled ones of the relevance set, then incidents of the
data set) through `matching.suggest(text, limit=5)` and through a `KnownError` filter with
`icontains` on the text's longest word, each timed the same way in the same run. Quality: recall@1,
recall@3 and MRR of the labelled set, loaded in a transaction that is rolled back so the data set
is left as it was.
"""

from __future__ import annotations

import re
import sys
import time

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Q

from .config import Config
from .report import figure, median, percentile

NOT_BUILT = "not built yet"
FULL_KNOWN_ERRORS = 10_000
TEXTS = 200
LIMIT = 5
P95_TARGET_MS = 50.0
WORD = re.compile(r"[A-Za-z0-9]+")


class _RollBack(Exception):
    """Raised to undo the relevance fixture set once it has been scored."""


def log(message: str) -> None:
    print(f"[bench]   {message}", file=sys.stderr, flush=True)


def known_error_target(scale: float) -> int:
    return max(10, round(FULL_KNOWN_ERRORS * scale))


def ensure_known_errors(target: int, seed: int) -> int:
    """Top the knowledge base up to `target` known errors; the data set usually has them already,
    so a second run creates nothing."""
    from knowledge_base.fixtures_gen import generate_known_errors
    from knowledge_base.models import KnownError

    missing = target - KnownError.objects.count()
    if missing > 0:
        log(f"kb_match: generating {missing:,} known errors")
        generate_known_errors(missing, seed)
    return KnownError.objects.count()


def incident_texts(count: int) -> list[str]:
    """The labelled texts first (written the way people report), then data set incidents, spread by id."""
    from incidents.models import Incident
    from knowledge_base.relevance_set import INCIDENT_TEXTS

    texts = [case.text for case in INCIDENT_TEXTS][:count]
    wanted = count - len(texts)
    if wanted > 0:
        ids = list(Incident.objects.order_by("pk").values_list("pk", flat=True))
        step = max(1, len(ids) // wanted)
        picked = ids[::step][:wanted]
        rows = Incident.objects.filter(pk__in=picked).order_by("pk").values_list("title", "description")
        texts += [f"{title}. {description}" for title, description in rows]
    return texts


def longest_word(text: str) -> str:
    return max(WORD.findall(text) or [text], key=len)


def icontains_scan(text: str) -> list[int]:
    """The plain alternative: published known errors with the longest word anywhere in their text.
    Ordered, so that the database reads every candidate row as a ranking would."""
    from knowledge_base.models import KnownError

    word = longest_word(text)
    found = Q(title__icontains=word) | Q(symptoms__icontains=word) | Q(root_cause__icontains=word) | Q(
        workaround__icontains=word)
    return list(KnownError.objects.published().filter(found).order_by("-published_at", "-pk")
                .values_list("pk", flat=True)[:LIMIT])


def time_each(texts: list[str], run) -> list[float]:
    run(texts[0])  # warm: vocabulary cache, statement cache
    samples = []
    for text in texts:
        started = time.perf_counter()
        run(text)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def relevance() -> dict:
    from knowledge_base import relevance as scoring
    from knowledge_base.matching import vocabulary

    figures: dict = {}
    try:
        with transaction.atomic():
            cases = scoring.load_fixture_set()
            vocabulary.clear()
            figures = scoring.evaluate(cases)
            raise _RollBack
    except _RollBack:
        pass
    finally:
        # The vocabulary cached while the fixture set existed must not outlive it.
        vocabulary.clear()
    return figures


def kb_match(config: Config) -> dict:
    try:
        apps.get_model("knowledge_base", "KnownError")
    except LookupError:
        return {"status": NOT_BUILT, "note": "the knowledge base app is not installed", "figures": []}
    from knowledge_base import matching

    total = ensure_known_errors(known_error_target(config.scale), config.seed)
    texts = incident_texts(TEXTS)
    log(f"kb_match: {len(texts)} texts over {total:,} known errors: suggest()")
    suggest = time_each(texts, lambda text: matching.suggest(text, limit=LIMIT))
    log("kb_match: the same texts through an icontains scan")
    scan = time_each(texts, icontains_scan)
    log("kb_match: recall and MRR of the labelled set (rolled back afterwards)")
    quality = relevance()

    p50, p95 = median(suggest), percentile(suggest, 95)
    scan50, scan95 = median(scan), percentile(scan, 95)
    figures = [
        figure(f"suggest() p50 ({total:,} known errors)", p50, "ms", ceiling="icontains scan p50",
               ceiling_value=scan50),
        figure(f"suggest() p95 ({total:,} known errors)", p95, "ms", ceiling="icontains scan p95",
               ceiling_value=scan95, target=f"< {P95_TARGET_MS:g} ms", met=p95 < P95_TARGET_MS),
        figure("recall@1", quality.get("recall_at_1", 0.0), "share", higher_is_better=True),
        figure("recall@3", quality.get("recall_at_3", 0.0), "share", higher_is_better=True),
        figure("MRR (to rank 10)", quality.get("mrr", 0.0), "score", higher_is_better=True),
    ]
    return {"status": "ok", "figures": figures, "vendor": connection.vendor, "known_errors": total,
            "texts": len(texts), "relevance_cases": quality.get("cases", 0),
            "relevance_misses": len(quality.get("misses", []))}
