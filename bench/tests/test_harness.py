"""`python -m bench` end to end at a tiny scale on SQLite, and the pieces it is built from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.config import from_env
from bench.loadgen import form_choices
from bench.pages import main_query
from bench.registry import BENCHMARKS
from bench.report import figure, format_table, percentile

PROJECT = Path(__file__).resolve().parents[2]


def run_bench(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, Path]:
    results = tmp_path / "results.json"
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("BENCH_", "DJANGO_SETTINGS"))}
    # SQLite and the filesystem broker: nothing this run queues may reach a shared Redis or worker.
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        environ.pop(name, None)
    environ.update(BENCH_DATA_DIR=str(tmp_path / "data"), BENCH_RESULTS=str(results), BENCH_SCALE="0.0005",
                   BENCH_REPEATS="2", BENCH_DURATION="2", BENCH_CONCURRENCY="2", **env)
    done = subprocess.run([sys.executable, "-m", "bench"], cwd=PROJECT, env=environ, capture_output=True,
                          text=True, timeout=170, check=False)
    return done, results


@pytest.mark.timeout(180)
def test_bench_runs_every_benchmark_and_writes_results_with_ceilings(tmp_path):
    done, results = run_bench(tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(results.read_text())
    assert {"date", "git_commit", "database", "incidents"} <= set(report)
    assert report["database"].startswith("sqlite")
    by_name = {b["name"]: b for b in report["benchmarks"]}
    assert set(by_name) == {"dataset", *(b.name for b in BENCHMARKS)}
    for bench in by_name.values():
        assert bench["status"] in ("ok", "not built yet"), bench
        if bench["status"] == "ok":
            assert bench["peak_rss_mb"] > 0
    for name in ("changelist", "queue"):
        if by_name[name]["status"] == "ok":
            figures = {f["figure"]: f for f in by_name[name]["figures"]}
            constant = next(f for f in figures.values() if f["figure"].startswith("queries, "))
            assert constant["met"] is True, constant
            assert any(f["unit"] == "ms" and f["ceiling_value"] for f in figures.values())
    if by_name["portal_submit"]["status"] == "ok":
        throughput = by_name["portal_submit"]["figures"][0]
        assert throughput["unit"] == "req/s" and throughput["value"] > 0 and throughput["ceiling_value"] > 0
    if by_name["alert_ingest"]["status"] == "ok":
        figures = {f["figure"].split(" (")[0]: f for f in by_name["alert_ingest"]["figures"]}
        rate = figures["notifications/s against the bare view"]
        assert rate["value"] > 0 and rate["ceiling_value"] > 0 and rate["met"] in (True, False)
        # A repeat's queries: the same at its 2nd and 200th time, for 1 alert and for 50.
        assert [f["met"] for name, f in figures.items() if name.startswith("queries, ")] == [True, True]
        assert figures["new group p95"]["value"] > 0 and figures["repeat p95"]["ceiling_value"] > 0
    if by_name["mail_ingest"]["status"] == "ok":
        figures = {f["figure"].split(" (")[0]: f for f in by_name["mail_ingest"]["figures"]}
        for name in ("new messages/s", "replies/s"):
            assert figures[name]["value"] > 0 and figures[name]["ceiling_value"] > 0, figures[name]
        assert by_name["mail_ingest"]["outcomes"].keys() == {"opened", "commented"}
    # The progress of the data set step is shown, and the table is printed.
    assert "[generate_dataset] incidents 50/50" in done.stderr
    assert "ceiling" in done.stdout


def test_bench_exits_non_zero_when_a_step_fails(tmp_path):
    done, results = run_bench(tmp_path, DATABASE_URL="postgres://nobody@127.0.0.1:9/nothing")
    assert done.returncode != 0
    assert json.loads(results.read_text())["benchmarks"][0]["status"] == "failed"


def test_the_main_query_is_the_incident_select_with_a_limit():
    queries = [
        {"sql": 'SELECT "django_session"."session_key" FROM "django_session" LIMIT 21'},
        {"sql": 'SELECT COUNT(*) AS "__count" FROM "incidents_incident"'},
        {"sql": 'SELECT "incidents_incident"."id" FROM "incidents_incident" ORDER BY "opened_at" DESC LIMIT 50'},
        {"sql": 'SELECT "incidents_team"."id" FROM "incidents_team" ORDER BY "name"'},
    ]
    assert main_query(queries).endswith("LIMIT 50")
    # A list that fits on one page is fetched without LIMIT.
    assert main_query(queries[1:2] + [{"sql": 'SELECT "x" FROM "incidents_incident" WHERE 1 ORDER BY "x"'}])


def test_percentiles_and_ratios():
    assert percentile([5, 1, 3, 2, 4], 50) == 3
    assert percentile([1, 2], 95) == pytest.approx(1.95)
    assert figure("p50", 30, "ms", ceiling_value=10)["ratio"] == 3.0
    table = format_table({"incidents": 10, "database": "sqlite", "date": "d", "git_commit": "abc",
                          "benchmarks": [{"name": "api_list", "status": "not built yet", "note": "later"}]})
    assert "not built yet" in table


def test_report_form_choices_are_read_from_the_page():
    page = """<select name="category" id="c"><option value="">Not sure</option><option value="3">Network</option>
    </select><input type="radio" name="people_affected" value="me" id="a">
    <input type="radio" name="people_affected" value="team" id="b">"""
    assert form_choices(page) == {"category": ["3"], "people_affected": ["me", "team"]}


def test_configuration_comes_from_the_environment(tmp_path):
    config = from_env({"BENCH_SCALE": "0.5", "DATABASE_URL": "postgres://u:secret@db:5432/itsm_bench",
                       "BENCH_DATA_DIR": str(tmp_path)})
    assert config.incidents == 50_000
    assert config.vendor == "postgresql"
    assert "secret" not in config.database_label
    assert config.child_env()["DJANGO_SETTINGS_MODULE"] == "bench.settings"
