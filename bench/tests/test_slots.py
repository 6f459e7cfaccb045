"""The known-error match and SLA sweep benchmarks at a tiny scale on SQLite: numbers, in the report's shape."""

from __future__ import annotations

import json
import math

import pytest

from bench.kb_match import longest_word

from .test_harness import run_bench

FIGURE_KEYS = {"figure", "value", "unit", "ceiling", "ceiling_value", "ratio", "target", "met", "higher_is_better"}


def _run(tmp_path, name: str) -> tuple[dict[str, dict], str]:
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
    return {row["figure"].split(" (")[0]: row for row in bench["figures"]}, done.stderr


def _figures(tmp_path, name: str) -> dict[str, dict]:
    return _run(tmp_path, name)[0]


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


@pytest.mark.timeout(180)
def test_sla_sweep_reports_wall_time_and_queries_against_the_naive_loop_and_leaves_the_data_set(tmp_path):
    figures = _figures(tmp_path, "sla_sweep")
    wall = figures["sweep wall time p50 of 5, commits included"]
    assert wall["unit"] == "ms" and wall["value"] > 0 and wall["ceiling_value"] > 0 and wall["met"] in (True, False)
    assert figures["naive loop / sweep"]["value"] > 0
    assert figures["sweep queries"]["value"] > 0 and figures["sweep queries"]["ceiling_value"] > 0
    # Both did the same work: every due incident handled, the same escalations fired.
    assert figures["incidents handled by the sweep"]["value"] == figures["incidents handled by the sweep"][
        "ceiling_value"] > 0
    assert figures["escalations fired by the sweep"]["ratio"] == 1.0
    # A second run finds the data set as the first left it: nothing created survived.
    again, progress = _run(tmp_path, "sla_sweep")
    assert "reusing the data set" in progress
    assert "sla_sweep: the data set is as it was" in progress
    assert [(f["figure"], f["value"]) for f in again.values() if f["unit"] not in ("ms", "x")] == [
        (f["figure"], f["value"]) for f in figures.values() if f["unit"] not in ("ms", "x")]


@pytest.mark.timeout(180)
def test_dashboard_reports_the_staff_home_for_a_manager_and_an_agent_against_a_bare_admin_page(tmp_path):
    figures = _figures(tmp_path, "dashboard")
    for who in ("manager", "agent"):
        p95 = figures[f"{who} p95"]
        assert p95["unit"] == "ms" and p95["value"] > 0
        assert p95["ceiling"] == "bare admin page p95" and p95["ceiling_value"] > 0 and p95["met"] in (True, False)
        assert figures[f"{who} p50"]["ceiling_value"] > 0
        assert figures[f"{who} queries"]["value"] > 0
    # The manager's page has more on it than the agent's.
    assert figures["manager queries"]["value"] > figures["agent queries"]["value"]
