"""Runs the data set step and every benchmark, each in its own process, then reports.

This process never imports Django: it only starts children, relays their progress, collects their
results, prints the table and writes bench/results.json. It exits non-zero when any step failed.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime

from .child import RESULT_PREFIX
from .config import PROJECT_DIR, Config, from_env
from .registry import BENCHMARKS, DATASET, Benchmark
from .report import format_table

USAGE = """usage: python -m bench [NAME ...]

Creates or reuses the data set, runs the benchmarks (all, or the NAMEs given) and writes
bench/results.json. Settings come from the environment: DATABASE_URL, BENCH_SCALE, BENCH_SEED,
BENCH_ONLY, BENCH_REPEATS, BENCH_DURATION, BENCH_CONCURRENCY, BENCH_RESULTS (see bench/config.py).
Benchmarks: """


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run_child(benchmark: Benchmark, config: Config) -> dict:
    """Run one step in its own process; its stderr (progress) goes straight to ours."""
    started = time.monotonic()
    log(f"{benchmark.name}: {benchmark.title} ...")
    process = subprocess.run(
        [sys.executable, "-m", "bench.child", benchmark.name], cwd=PROJECT_DIR, env=config.child_env(),
        stdout=subprocess.PIPE, text=True, check=False,
    )
    lines = [line for line in process.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if process.returncode != 0 or not lines:
        log(f"{benchmark.name}: FAILED (exit code {process.returncode}); its traceback is above")
        return {"name": benchmark.name, "title": benchmark.title, "status": "failed",
                "note": f"exit code {process.returncode}", "figures": [],
                "seconds": round(time.monotonic() - started, 1)}
    result = json.loads(lines[-1][len(RESULT_PREFIX):])
    result.update(name=benchmark.name, title=benchmark.title)
    log(f"{benchmark.name}: {result['status']} in {result['seconds']} s")
    return result


def git_commit() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_DIR, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_DIR,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}{' (with uncommitted changes)' if dirty else ''}"


def main(argv: list[str]) -> int:
    config = from_env()
    names = {b.name for b in BENCHMARKS}
    if any(arg in ("-h", "--help") for arg in argv) or set(argv) - names:
        print(USAGE + ", ".join(sorted(names)), file=sys.stderr)
        return 0 if any(arg in ("-h", "--help") for arg in argv) else 2
    wanted = set(argv) | set(config.only)
    unknown = wanted - names
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    selected = [b for b in BENCHMARKS if not wanted or b.name in wanted]
    log(f"{config.incidents:,} incidents (BENCH_SCALE={config.scale}), seed {config.seed}, "
        f"database {config.database_label}")

    # whitenoise warns on every process start when the static folder is missing.
    (config.data_dir / "static").mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    results = [run_child(DATASET, config)]
    if results[0]["status"] == "failed":
        log("the data set could not be prepared; no benchmark was run")
    else:
        results += [run_child(benchmark, config) for benchmark in selected]

    report = {
        "date": started.isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "database": config.database_label,
        "vendor": config.vendor,
        "scale": config.scale,
        "incidents": config.incidents,
        "seed": config.seed,
        "machine": {"cpus": _cpus(), "python": platform.python_version(), "platform": platform.platform()},
        "command": _command(config),
        "benchmarks": results,
    }
    config.results_path.parent.mkdir(parents=True, exist_ok=True)
    config.results_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(format_table(report))
    log(f"results written to {config.results_path}")
    failed = [r["name"] for r in results if r["status"] == "failed"]
    if failed:
        log(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 0)


def _command(config: Config) -> str:
    parts = ["make bench"]
    if config.database_url:
        parts.append(f"DATABASE_URL={config.database_label}")
    if config.scale != 1.0:
        parts.append(f"BENCH_SCALE={config.scale}")
    return " ".join(parts)
