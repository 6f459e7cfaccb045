"""Benchmark 3: portal submissions per second through gunicorn, against bare views.

gunicorn runs the project (bench settings) with 2 sync workers on 127.0.0.1; `bench.loadgen`, in
its own process, logs in as several reporters and submits for a fixed time, as a browser does: GET
the form, POST it. Four loads take turns (so that a slow moment of the shared machine hits all):

- portal: the report form, GET and POST;
- same rows: a bare form page, then `bench/write-rows/`, which writes what a submission writes
  (counter, incident, history, event, outbox row) in one transaction: the ceiling of the target;
- same rows without the outbox row: what the outbox costs a submission;
- one row: a bare form page, then `bench/write/`, one INSERT: the framework's floor.

All share the server, the middleware, the session and the database; the difference from the
same-rows ceiling is the product's own work (form, classification, SLA clock, task).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max
from django.urls import NoReverseMatch, reverse

from incidents import roles
from incidents.models import Incident, Sequence

from .config import PROJECT_DIR, Config
from .report import figure, median, percentile
from .views import ROW_PREFIX

WORKERS = 2
THROUGHPUT_TARGET = 0.5  # submissions/s at least half the same-rows ceiling's
GET_TARGET = 2.0  # the report form's GET p50 within 2x of the bare logged-in form page's


def log(message: str) -> None:
    print(f"[bench]   {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{base}/accounts/login/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer on {base} within {timeout:.0f} s")


def children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def peak_mb(pid: int) -> float | None:
    """The high-water mark of a live process's resident memory (VmHWM), from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def load(base: str, phases: dict[str, str], users: list[str], password: str, duration: float,
         rounds: int, *, token_file: Path | None = None, bodies_file: Path | None = None) -> dict:
    """`bench.loadgen` over `phases`; its users log in (`users`, `password`) or, with `token_file`,
    send the API keys of that file instead. `bodies_file` holds the body sets of api-send phases."""
    who = ["--token-file", str(token_file)] if token_file else ["--users", ",".join(users), "--password", password]
    command = [sys.executable, "-m", "bench.loadgen", "--base", base, *who,
               "--duration", str(duration), "--rounds", str(rounds)]
    if bodies_file:
        command += ["--bodies", str(bodies_file)]
    for name, path in phases.items():
        command += ["--phase", f"{name}={path}"]
    done = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, check=False,
                          timeout=duration * len(phases) * rounds + 300)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed ({done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for name, runs in result["phases"].items():
        errors = sum(r["errors"] for r in runs)
        if errors:
            raise RuntimeError(f"{errors} requests to {phases[name]} failed, e.g. {runs[0]['first_errors']}")
        if not sum(r["requests"] for r in runs):
            raise RuntimeError(f"no request to {phases[name]} succeeded")
    return result


@contextmanager
def gunicorn(peaks: list[float] | None = None) -> Iterator[str]:
    """The project under gunicorn (bench settings, WORKERS sync workers) on a free port; yields its
    base URL. With `peaks`, the workers' peak memory is appended to it before they stop."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.settings")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "itsm.wsgi:application", "--workers", str(WORKERS),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=PROJECT_DIR, env=env,
    )
    try:
        wait_until_up(base, server)
        yield base
        if peaks is not None:
            peaks.extend(p for p in (peak_mb(pid) for pid in children_of(server.pid)) if p is not None)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def portal_submit(config: Config) -> dict:
    try:
        reverse("portal:report")
    except NoReverseMatch:
        return {"status": "not built yet", "note": "the portal report form does not exist", "figures": []}
    from bench.dataset import DEFAULT_PASSWORD

    User = get_user_model()
    users = list(User.objects.filter(groups__name=roles.REPORTER).order_by("pk")
                 .values_list("username", flat=True)[: config.concurrency])
    last_incident = Incident.objects.aggregate(m=Max("pk"))["m"] or 0
    worker_peaks: list[float] = []
    with gunicorn(worker_peaks) as base:
        duration = config.duration
        log(f"gunicorn ({WORKERS} workers) on {base}; {len(users)} users, {duration:g} s per measurement")
        # Alternating halves, so that a slow moment of the shared machine hits all alike.
        form = reverse("portal:report")
        phases = {"portal": f"{form}>{form}", "rows": "/bench/form/>/bench/write-rows/",
                  "rows_no_outbox": "/bench/form/>/bench/write-rows/?outbox=0", "bare": "/bench/form/>/bench/write/",
                  # The GETs alone: within a submission load, a GET waits behind the POSTs of the
                  # other users in the same workers, so its latency there measures those POSTs.
                  "form_get": f"get:{form}", "bare_get": "get:/bench/form/"}
        log(f"{', '.join(phases)}, in turn: 2 x {duration / 2:g} s each ...")
        result = load(base, phases, users, DEFAULT_PASSWORD, duration / 2, rounds=2)
    created = _clean_up(last_incident)
    m = {name: combine(runs) for name, runs in result["phases"].items()}
    portal, rows, lean, bare = m["portal"], m["rows"], m["rows_no_outbox"], m["bare"]
    form_get, bare_get = m["form_get"], m["bare_get"]
    log(f"submissions/s: portal {portal['rps']:.1f}, same rows {rows['rps']:.1f}, one row {bare['rps']:.1f} "
        f"({created} incidents created)")
    ratio = portal["rps"] / rows["rps"]
    get_ratio = form_get["p50_ms"] / bare_get["p50_ms"]
    figures = [
        figure("submissions/s (GET form + POST)", portal["rps"], "req/s", ceiling="same-rows bare view submissions/s",
               ceiling_value=rows["rps"], target=f">= {THROUGHPUT_TARGET:g}x", met=ratio >= THROUGHPUT_TARGET,
               higher_is_better=True),
        figure("submissions/s against one-row bare view", portal["rps"], "req/s",
               ceiling="one-row bare view submissions/s", ceiling_value=bare["rps"], higher_is_better=True),
        figure("submission p50 (GET + POST)", portal["p50_ms"], "ms", ceiling="same-rows bare view p50",
               ceiling_value=rows["p50_ms"]),
        figure("submission p95 (GET + POST)", portal["p95_ms"], "ms", ceiling="same-rows bare view p95",
               ceiling_value=rows["p95_ms"]),
        figure("report form GET p50 (GETs only)", form_get["p50_ms"], "ms",
               ceiling="bare logged-in form page GET p50", ceiling_value=bare_get["p50_ms"],
               target=f"<= {GET_TARGET:g}x", met=get_ratio <= GET_TARGET),
        figure("report form GET p95 (GETs only)", form_get["p95_ms"], "ms",
               ceiling="bare logged-in form page GET p95", ceiling_value=bare_get["p95_ms"]),
        figure("report form GET p50 within the submissions", portal["get_p50_ms"], "ms",
               ceiling="bare form page GET p50 within its submissions", ceiling_value=bare["get_p50_ms"]),
        # What the outbox costs: the same rows with and without the acknowledgement's outbox row.
        figure("same-rows submission p50 with the outbox row", rows["p50_ms"], "ms",
               ceiling="without the outbox row", ceiling_value=lean["p50_ms"]),
        figure("same-rows submissions/s with the outbox row", rows["rps"], "req/s",
               ceiling="without the outbox row", ceiling_value=lean["rps"], higher_is_better=True),
        figure("submissions measured", portal["requests"], "requests", ceiling="same-rows bare view submissions",
               ceiling_value=rows["requests"]),
    ]
    if worker_peaks:
        figures.append(figure("peak memory, largest gunicorn worker", max(worker_peaks), "MB"))
    figures.append(figure("peak memory, load generator", result["peak_rss_mb"], "MB"))
    return {"status": "ok", "figures": figures, "runs": result["phases"],
            "workers": WORKERS, "users": len(users)}


def combine(runs: list[dict]) -> dict:
    latencies = [x for r in runs for x in r.pop("latencies_ms")]
    gets = [x for r in runs for x in r.pop("get_latencies_ms", [])]
    seconds = sum(r["seconds"] for r in runs)
    return {"requests": len(latencies), "rps": len(latencies) / seconds,
            "p50_ms": median(latencies), "p95_ms": percentile(latencies, 95),
            "get_p50_ms": median(gets) if gets else None, "get_p95_ms": percentile(gets, 95) if gets else None}


def _clean_up(last_incident: int) -> int:
    """Remove what the load wrote, so the data set stays the one its stamp describes."""
    created = Incident.objects.filter(pk__gt=last_incident)
    count = created.count()
    created.delete()
    Incident.history.model.objects.filter(id__gt=last_incident).delete()
    Sequence.objects.filter(name__startswith=ROW_PREFIX).delete()
    highest = Incident.objects.order_by("-pk").values_list("reference", flat=True).first()
    Sequence.objects.filter(name="incident").update(value=int(highest.split("-")[1]) if highest else 0)
    # Notification tasks queued by the submissions: no worker runs during the bench.
    broker = Path(settings.CELERY_FILESYSTEM_BROKER_DIR)
    if broker.is_dir() and str(broker).startswith(str(settings.VAR_DIR)):
        shutil.rmtree(broker, ignore_errors=True)
    return count
