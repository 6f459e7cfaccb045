"""Load the relevance fixture set (and optionally many generated known errors); report matching
quality and latency."""

from __future__ import annotations

import statistics
import time

from django.core.management.base import BaseCommand

from knowledge_base import matching
from knowledge_base.fixtures_gen import generate_known_errors
from knowledge_base.relevance import evaluate, load_fixture_set


class Command(BaseCommand):
    help = "Load the labelled known errors of the relevance fixture set; optionally generate more and evaluate."

    def add_arguments(self, parser):
        parser.add_argument("--generate", type=int, default=0, help="Also create this many generated known errors.")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the generated known errors.")
        parser.add_argument("--evaluate", action="store_true", help="Print recall@1, recall@3, MRR and latency.")

    def handle(self, *args, generate: int, seed: int, evaluate: bool, **options):
        cases = load_fixture_set()
        self.stdout.write(f"Fixture set loaded: {len(cases)} labelled incident texts.")
        if generate:
            started = time.perf_counter()
            ids = generate_known_errors(generate, seed)
            self.stdout.write(f"Generated {len(ids)} known errors in {time.perf_counter() - started:.1f} s.")
        if evaluate:
            self._evaluate(cases)

    def _evaluate(self, cases) -> None:
        matching.suggest("warm the vocabulary cache")
        figures = evaluate(cases)
        timings = []
        for text, _ in cases:
            started = time.perf_counter()
            matching.suggest(text)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        self.stdout.write(
            f"recall@1 {figures['recall_at_1']:.3f}  recall@3 {figures['recall_at_3']:.3f}  "
            f"MRR {figures['mrr']:.3f}  over {figures['cases']} texts\n"
            f"suggest(): median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms"
        )
        for text in figures["misses"]:
            self.stdout.write(f"  not in top 3: {text[:100]}")
