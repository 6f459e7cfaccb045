"""The known-error match and SLA sweep benchmarks at a tiny scale on SQLite: numbers, in the report's shape."""

from __future__ import annotations

import json
import math

import pytest

from bench.kb_match import longest_word

from .test_harness import run_bench

FIGURE_KEYS = {"figure", "value", "unit", "ceiling", "ceiling_value", "ratio", "target", "met", "higher_is_better"}


def _figures(tmp_path, name: str) -> dict[str, dict]:
    done, results = run_bench(tmp_path, BENCH_ONLY=name)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(results.read_text())
    bench = next(b for b in report["benchmarks"] if b["name"] == name)
    assert bench["status"] == "ok", bench
    assert bench["peak_rss_mb"] > 0
    for row in bench["figures"]:
        assert set(row) == FIGURE_KEYS
        assert isinstance(row["value"], int | float) and math.isfinite(row["value"]), row
    assert name in done.stdout
    return {row["figure"].split(" (")[0]: row for row in bench["figures"]}


@pytest.mark.timeout(180)
def test_kb_match_reports_latency_against_an_icontains_scan_and_relevance(tmp_path):
    figures = _figures(tmp_path, "kb_match")
    p95 = figures["suggest() p95"]
    assert p95["unit"] == "ms" and p95["ceiling"] == "icontains scan p95" and p95["ceiling_value"] > 0
    assert p95["ratio"] is not None and p95["met"] in (True, False)
    assert figures["suggest() p50"]["ceiling_value"] > 0
    for name in ("recall@1", "recall@3", "MRR"):
        assert 0 < figures[name]["value"] <= 1, figures[name]


def test_the_icontains_scan_looks_for_the_longest_word():
    assert longest_word("VPN error 809 after the firewall change") == "firewall"
