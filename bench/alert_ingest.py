"""Benchmark 7: alert ingest. Alertmanager notifications through gunicorn, 10% new groups, 90% repeats.

gunicorn runs the project (bench settings, 2 sync workers) on 127.0.0.1, as for the portal and the
API; `bench.loadgen`, in its own process, posts Alertmanager's webhook payloads (version 4, built
by `intake.tests.alert_payloads` as Alertmanager 0.27 sends them) to /api/v1/intake/alertmanager/
with the tokens of one alert source (one token a connection, issued for the run), all connections
at once. Every tenth post is a new group (a `groupKey` never seen: 201, an incident opened); the
other nine repeat one of REPEAT_GROUPS groups opened beforehand with the same alerts (200, no
timeline entry). The payloads carry 1, 3 or 5 alerts. Each post is one notification: the alerts/s
of the target are notifications per second; the alerts they carry are reported beside them.

The ceiling, measured in the same run with the same bodies in alternating halves (one round
instead of two below BENCH_SCALE=0.01, the quick run of the harness's own tests), is
`bench/intake/alerts/` (`bench.intake_views`): the same middleware, token authentication and
throttle, and only the rows: a repeat locks its group's row and updates it, a new group writes a
bare incident's rows and the group's. Targets: at least TARGET_RATE notifications/s (the issue's:
Grafana OnCall publishes 300 alerts per 5 minutes per integration as its limit) and, for the
record, at least 0.5x the ceiling (as for submissions). Repeats must cost a constant number of
queries: one is counted in-process (test client, the same token kind) at its 2nd and its 200th
repeat, and for a group of 1 alert against one of 50; any difference fails.

The intake throttle is raised for this server (ITSM_INTAKE_THROTTLE=1000000/min): it still runs on
every request, on both sides. The loads here stay under the 30,000/min (500/s) a token gets, but a
faster machine, or one connection (BENCH_CONCURRENCY=1), could pass it, and a 429 would measure the
refusal. Everything the run writes (groups, incidents, the source, its account and tokens) is
deleted afterwards.
"""

from __future__ import annotations

import json
import os
import uuid

from django.db import connection
from django.db.models import Max
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident
from intake.accounts import service_account
from intake.models import AlertGroup, AlertSource, SourceKind
from intake.tests.alert_payloads import alert, webhook

from .api_load import UNTHROTTLED, api_keys, server_environment
from .config import PROJECT_DIR, Config
from .loadgen import KEY  # replaced by the load generator with a key new to each request
from .pages import url_or_none
from .portal_load import THROUGHPUT_TARGET, WORKERS, _clean_up, combine, gunicorn, load, log
from .report import figure, median, percentile

URL = "/api/v1/intake/alertmanager/"
BARE = "/bench/intake/alerts/"
TARGET_RATE = 300  # notifications/s
NEW_EVERY = 10  # one post in ten opens a new group
REPEAT_GROUPS = 20
SIZES = (1, 3, 5)  # alerts a payload carries, group by group
COUNTED_AT = (2, 200)  # the repeats whose queries are counted
STORM = 50  # alerts of the large group whose repeat is counted
QUICK_SCALE = 0.01  # below it (the harness's own tests), one round of the loads instead of two
BASELINE = PROJECT_DIR / "core" / "tests" / "query_counts.json"


def built() -> bool:
    return url_or_none("intake-alertmanager-list") is not None and url_or_none("bench_intake_alert") is not None


def rounds(config: Config) -> int:
    return 2 if config.scale >= QUICK_SCALE else 1


def payload(group: str, size: int) -> dict:
    alerts = [alert("HighErrorRate", instance=f"pay-{n}") for n in range(size)]
    return webhook(*alerts, group=group)


def body_sets(run: str) -> tuple[dict, list[dict]]:
    """The load's bodies (NEW_EVERY items in turn: a new group, then repeats of the REPEAT_GROUPS),
    and the repeated groups' payloads, to open them before the load."""
    repeated = [payload(f"bench-{run}-{n}", SIZES[n % len(SIZES)]) for n in range(REPEAT_GROUPS)]
    items = []
    for n in range(REPEAT_GROUPS * (NEW_EVERY - 1)):
        if n % (NEW_EVERY - 1) == 0:
            size = SIZES[(n // (NEW_EVERY - 1)) % len(SIZES)]
            items.append({"body": json.dumps(payload(f"bench-new-{KEY}", size)), "status": 201, "units": size,
                          "label": "new group", "expect": {"opened": True}})
        group = repeated[n % REPEAT_GROUPS]
        items.append({"body": json.dumps(group), "status": 200, "units": len(group["alerts"]), "label": "repeat",
                      "expect": {"opened": False, "changed": False}})
    return {"alerts": {"content_type": "application/json", "items": items}}, repeated


class Poster:
    """POSTs in-process with one key, the queries of each counted."""

    def __init__(self, key: str) -> None:
        self.client, self.key = Client(), key

    def __call__(self, path: str, body: dict, status: int) -> tuple[dict, int]:
        with CaptureQueriesContext(connection) as captured:
            response = self.client.post(path, json.dumps(body), content_type="application/json",
                                        HTTP_AUTHORIZATION=f"Bearer {self.key}")
        if response.status_code != status:
            raise AssertionError(f"POST {path} answered {response.status_code}, not {status}: "
                                 f"{response.content[:300]!r}")
        return response.json(), len(captured.captured_queries)


def repeat_queries(post: Poster, run: str) -> dict[str, int]:
    """The queries of a repeat: the 2nd and the 200th of a group of 1 alert, the 2nd of 50 alerts."""
    counted = {}
    for label, size in (("1 alert", 1), (f"{STORM} alerts", STORM)):
        body = payload(f"bench-{run}-count-{size}", size)
        post(URL, body, 201)
        for n in range(1, (COUNTED_AT[-1] if size == 1 else COUNTED_AT[0]) + 1):
            answer, queries = post(URL, body, 200)
            if n in COUNTED_AT:
                counted[f"{label}, repeat {n}"] = queries
        if answer["occurrences"] != n + 1 or answer["changed"]:
            raise AssertionError(f"the repeats of {label} were not counted as repeats: {answer}")
    return counted


def baseline() -> int | None:
    try:
        return json.loads(BASELINE.read_text()).get("intake.alertmanager_repeat")
    except (OSError, ValueError):
        return None


def split(runs: list[dict]) -> tuple[dict, dict[str, list[float]], int]:
    """The combined figures of a phase's runs, its latencies by label, and the alerts it carried."""
    labelled: dict[str, list[float]] = {}
    for run in runs:
        for label, values in run.pop("labelled_ms").items():
            labelled.setdefault(label, []).extend(values)
    units = sum(run["units"] for run in runs)
    return combine(runs), labelled, units


def alert_ingest(config: Config) -> dict:
    if not built():
        return {"status": "not built yet", "note": "the intake has no Alertmanager endpoint", "figures": []}
    run = uuid.uuid4().hex[:8]
    last_incident = Incident.objects.aggregate(m=Max("pk"))["m"] or 0
    account = service_account("alerts", f"bench {run}")
    source = AlertSource.objects.create(name=f"bench alert ingest {run}", kind=SourceKind.ALERTMANAGER,
                                        service_user=account)
    bodies_file = config.data_dir / f"alert-bodies-{os.getpid()}.json"
    try:
        with api_keys([account] * config.concurrency, config.data_dir) as (key_file, keys):
            post = Poster(keys[0])
            counted = repeat_queries(post, run)
            sets, repeated = body_sets(run)
            for body in repeated:  # open the groups that the load repeats
                post(URL, body, 201)
            post(BARE, repeated[0], 200)
            _, bare_queries = post(BARE, repeated[0], 200)
            bodies_file.write_text(json.dumps(sets))
            phases = {"intake": f"api-send:alerts:{URL}", "bare": f"api-send:alerts:{BARE}"}
            with server_environment(ITSM_INTAKE_THROTTLE=UNTHROTTLED), gunicorn() as base:
                log(f"{config.concurrency} tokens of one alert source on {base}: 1 post in {NEW_EVERY} a new group, "
                    f"the others repeats of {REPEAT_GROUPS} groups; {', '.join(phases)} in turn: "
                    f"{rounds(config)} x {config.duration / 2:g} s each ...")
                result = load(base, phases, [], "", config.duration / 2, rounds=rounds(config), token_file=key_file,
                              bodies_file=bodies_file)
    finally:
        bodies_file.unlink(missing_ok=True)
        opened = AlertGroup.objects.filter(source=source).count()
        AlertGroup.objects.filter(source=source).delete()
        created = _clean_up(last_incident)
        source.delete()
        account.delete()
    (intake, intake_by, intake_units), (bare, bare_by, bare_units) = (split(result["phases"][name])
                                                                      for name in ("intake", "bare"))
    seconds = {name: sum(r["seconds"] for r in result["phases"][name]) for name in ("intake", "bare")}
    log(f"notifications/s: intake {intake['rps']:.1f}, bare {bare['rps']:.1f} ({opened} groups, "
        f"{created} incidents opened and deleted)")
    second, last = counted["1 alert, repeat 2"], counted[f"1 alert, repeat {COUNTED_AT[-1]}"]
    storm = counted[f"{STORM} alerts, repeat 2"]
    same_rows = "bare view (a repeat: lock + update the group row)"
    figures = [
        figure(f"notifications/s ({config.concurrency} connections, 1 in {NEW_EVERY} a new group)", intake["rps"],
               "posts/s", target=f">= {TARGET_RATE}/s", met=intake["rps"] >= TARGET_RATE, higher_is_better=True),
        figure("notifications/s against the bare view", intake["rps"], "posts/s",
               ceiling=f"{same_rows} posts/s", ceiling_value=bare["rps"], target=f">= {THROUGHPUT_TARGET:g}x",
               met=intake["rps"] >= THROUGHPUT_TARGET * bare["rps"], higher_is_better=True),
        figure("alerts carried/s", intake_units / seconds["intake"], "alerts/s",
               ceiling="bare view alerts carried/s", ceiling_value=bare_units / seconds["bare"],
               higher_is_better=True),
        figure("p50, all posts", intake["p50_ms"], "ms", ceiling="bare view p50", ceiling_value=bare["p50_ms"]),
        figure("p95, all posts", intake["p95_ms"], "ms", ceiling="bare view p95", ceiling_value=bare["p95_ms"]),
    ]
    for label in ("repeat", "new group"):
        mine, theirs = intake_by.get(label, []), bare_by.get(label, [])
        figures += [
            figure(f"{label} p50", median(mine), "ms", ceiling=f"bare view {label} p50", ceiling_value=median(theirs)),
            figure(f"{label} p95", percentile(mine, 95), "ms", ceiling=f"bare view {label} p95",
                   ceiling_value=percentile(theirs, 95)),
        ]
    figures += [
        figure(f"queries, repeat 2 vs repeat {COUNTED_AT[-1]}", second, "queries",
               ceiling=f"queries, repeat {COUNTED_AT[-1]}", ceiling_value=last, target="equal", met=second == last),
        figure(f"queries, repeat of 1 alert vs {STORM} alerts", second, "queries",
               ceiling=f"queries, repeat of {STORM} alerts", ceiling_value=storm, target="equal", met=second == storm),
        figure("queries per repeat", second, "queries", ceiling="bare view queries per repeat",
               ceiling_value=bare_queries),
        figure("posts measured", intake["requests"], "posts", ceiling="bare view posts", ceiling_value=bare["requests"]),
    ]
    return {"status": "ok", "figures": figures, "workers": WORKERS, "connections": config.concurrency,
            "queries": counted, "baseline_queries_per_repeat": baseline(), "new_groups": opened}
