"""Benchmarks 5 and 5b: the REST API's incident list and incident creation through gunicorn.

gunicorn runs the project (bench settings) with 2 sync workers, as in the portal benchmark;
`bench.loadgen` in its own process sends each user's API key (`Authorization: Bearer`, a token
issued for the run and deleted after it) over keep-alive connections, all users at once, the loads
taking turns in two alternating halves.

- api_list: `GET /api/v1/incidents/` as desk agents: the first page, a filtered page (the team
  with most incidents in progress, `?state=in_progress&team=N`) and a later page (the first's
  `next` followed a few times). Each against `bench/api/incidents/?ids=...` (`bench.api_views`):
  the same 50 rows, fetched by id with the same joins and returned through a plain serializer with
  the same fields, behind the same middleware, token authentication and throttle. Target: p50
  within 2x. The queries of each page are counted in-process; a later cursor page, and the first
  page on a 1,000-incident data set (a child bench, as for the admin lists), must run as many as
  the first page.
- api_create: `POST /api/v1/incidents/` as reporters (JSON, a new `Idempotency-Key` a request)
  against `bench/api/write-rows/`, which writes the rows the portal ceiling writes (counter,
  incident, history row, event, outbox row) in one transaction from a token-authenticated JSON
  POST. Target: at least 0.5x its requests/s. The incidents written are deleted afterwards.

The token throttle is raised for the server of these loads (it still runs on every request, on
both sides): a few users sending as fast as the server answers are over the 1,200/min a token is
given in production, and a 429 would measure the throttle's refusal, not the list.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Max
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incidents import roles
from incidents.models import Incident, Team
from incidents.workflow import State
from tokens.models import ApiToken
from tokens.services import issue

from .config import Config
from .pages import BARE_TARGET, constant_queries, on_small_data_set, url_or_none
from .portal_load import THROUGHPUT_TARGET, WORKERS, _clean_up, combine, gunicorn, load, log
from .report import figure

API_LIST = "/api/v1/incidents/"
BARE_LIST = "/bench/api/incidents/"
BARE_CREATE = "/bench/api/write-rows/"
TOKEN_NAME = "bench api load"
LATER = 3  # the later page: the first page's `next`, followed this many times
UNTHROTTLED = "1000000/min"


def built() -> bool:
    return url_or_none("incident-list") is not None and url_or_none("bench_api_list") is not None


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def clients(group: str, count: int) -> list:
    """`count` callers from the group: its first members, each with a token of their own; when the
    group is smaller (a small data set has a few desk agents), some get two, as a person running
    two scripts does."""
    people = list(get_user_model().objects.filter(groups__name=group, is_active=True).order_by("pk")[:count])
    if not people:
        raise AssertionError(f"the data set has no {group}")
    return [people[i % len(people)] for i in range(count)]


@contextmanager
def api_keys(users: list, folder: Path) -> Iterator[tuple[Path, list[str]]]:
    """A token for each user; yields a file of their keys (one a line, readable by this user only)
    and the keys. The tokens are deleted afterwards, so the data set stays as stamped."""
    issued = [issue(user=user, name=TOKEN_NAME) for user in users]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"api-keys-{os.getpid()}.txt"
    path.touch(mode=0o600)
    path.write_text("".join(f"{key}\n" for _, key in issued))
    try:
        yield path, [key for _, key in issued]
    finally:
        path.unlink(missing_ok=True)
        ApiToken.objects.filter(pk__in=[token.pk for token, _ in issued]).delete()


@contextmanager
def server_environment(**values: str) -> Iterator[None]:
    """Variables of the gunicorn started inside (it copies this process's environment)."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def unthrottled():
    """The gunicorn started inside gets a token rate no load here reaches (see the docstring)."""
    return server_environment(ITSM_API_THROTTLE_TOKEN=UNTHROTTLED)


def get_json(client: Client, key: str, path: str) -> tuple[dict, int]:
    """One GET with the key, after an untimed one (the token's last-used stamp, caches): its body and
    its number of queries."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_ACCEPT": "application/json"}
    client.get(path, **headers)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **headers)
    if response.status_code != 200:
        raise AssertionError(f"GET {path} answered {response.status_code}: {response.content[:300]!r}")
    return response.json(), len(captured.captured_queries)


def pages(client: Client, key: str) -> dict[str, dict]:
    """The list variants: their paths, rows and queries, and the bare view's path for those rows."""
    busiest = (Incident.objects.filter(state=State.IN_PROGRESS).values("team").annotate(n=Count("pk"))
               .order_by("-n", "team").first())
    team_id = busiest["team"] if busiest else Team.objects.order_by("pk").values_list("pk", flat=True).first()
    variants = {"first page": API_LIST, "state+team": f"{API_LIST}?state={State.IN_PROGRESS}&team={team_id}"}
    later: str | None = API_LIST
    for _ in range(LATER):
        body, _ = get_json(client, key, later)
        later = path_of(body["next"]) if body["next"] else None
        if later is None:
            break  # the list has fewer pages than that (a tiny data set)
    if later:
        variants[f"page {LATER + 1}"] = later
    m = {}
    for label, path in variants.items():
        body, queries = get_json(client, key, path)
        ids = [row["id"] for row in body["results"]]
        bare_path = f"{BARE_LIST}?ids={','.join(map(str, ids))}"
        bare, bare_queries = get_json(client, key, bare_path)
        if bare["results"] != body["results"]:
            raise AssertionError(f"the bare view does not return the rows of {path} as the API does")
        m[label] = {"path": path, "bare_path": bare_path, "rows": len(ids), "queries": queries,
                    "bare_queries": bare_queries}
    return m


def api_list(config: Config) -> dict:
    if not built():
        return {"status": "not built yet", "note": "the REST API has no incident list yet", "figures": []}
    agents = clients(roles.DESK_AGENT, config.concurrency)
    with api_keys(agents, config.data_dir) as (key_file, keys):
        m = pages(Client(), keys[0])
        phases = {}
        for label, page in m.items():
            phases[f"api {label}"], phases[f"bare {label}"] = f"api-get:{page['path']}", f"api-get:{page['bare_path']}"
        with unthrottled(), gunicorn() as base:
            log(f"{len(agents)} agents' tokens on {base}: {', '.join(m)} and their bare views, in turn: "
                f"2 x {config.duration / 2:g} s each ...")
            result = load(base, phases, [], "", config.duration / 2, rounds=2, token_file=key_file)
    runs = {name: combine(r) for name, r in result["phases"].items()}
    at_1k = on_small_data_set(config, "api_list")
    figures = []
    for label, page in m.items():
        api, bare = runs[f"api {label}"], runs[f"bare {label}"]
        same = f"bare API view, same {page['rows']} rows"
        figures += [
            figure(f"{label} p50, {len(agents)} clients at once", api["p50_ms"], "ms", ceiling=f"{same} p50",
                   ceiling_value=bare["p50_ms"], target=f"<= {BARE_TARGET:g}x",
                   met=api["p50_ms"] <= BARE_TARGET * bare["p50_ms"]),
            figure(f"{label} p95, {len(agents)} clients at once", api["p95_ms"], "ms", ceiling=f"{same} p95",
                   ceiling_value=bare["p95_ms"]),
            figure(f"{label} requests/s", api["rps"], "req/s", ceiling=f"{same} requests/s",
                   ceiling_value=bare["rps"], higher_is_better=True),
            figure(f"{label} queries", page["queries"], "queries", ceiling=f"{same} queries",
                   ceiling_value=page["bare_queries"]),
        ]
    later = f"page {LATER + 1}"
    if later in m:
        figures.append(constant_queries(m["first page"], m[later], "first page", f"{later} (cursor)"))
    theirs = (at_1k or {}).get("first page queries")
    if theirs:
        figures.append(constant_queries(m["first page"], {"queries": theirs["value"]},
                                        f"first page at {config.incidents:,}", "first page at 1,000"))
        p50 = (at_1k or {}).get(f"first page p50, {len(agents)} clients at once")
        if p50:
            figures.append(figure("first page p50 against the 1k data set", runs["api first page"]["p50_ms"], "ms",
                                  ceiling="same page at 1,000 incidents p50", ceiling_value=p50["value"]))
    return {"status": "ok", "figures": figures, "workers": WORKERS, "clients": len(agents),
            "pages": {label: page["path"] for label, page in m.items()}}


def create_queries(client: Client, key: str, path: str) -> int:
    """The queries of one creation in-process, after an untimed one (what a process loads once, such
    as the SLA configuration, is not a creation's). The harness deletes them with the load's."""
    for attempt in ("warm-up", "counted"):
        with CaptureQueriesContext(connection) as captured:
            response = client.post(path, {"summary": "VPN disconnects every few minutes", "description": "Twice."},
                                   content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}",
                                   HTTP_IDEMPOTENCY_KEY=f"bench-{os.getpid()}-{path}-{attempt}")
        if response.status_code != 201:
            raise AssertionError(f"POST {path} answered {response.status_code}: {response.content[:300]!r}")
    return len(captured.captured_queries)


def api_create(config: Config) -> dict:
    if not built():
        return {"status": "not built yet", "note": "the REST API cannot open incidents yet", "figures": []}
    reporters = clients(roles.REPORTER, config.concurrency)
    last_incident = Incident.objects.aggregate(m=Max("pk"))["m"] or 0
    try:
        with api_keys(reporters, config.data_dir) as (key_file, keys):
            client = Client()
            client.get(API_LIST, HTTP_AUTHORIZATION=f"Bearer {keys[0]}")  # the token's last-used stamp
            queries = {"api": create_queries(client, keys[0], API_LIST),
                       "rows": create_queries(client, keys[0], BARE_CREATE)}
            phases = {"api": f"api-post:{API_LIST}", "rows": f"api-post:{BARE_CREATE}"}
            with unthrottled(), gunicorn() as base:
                log(f"{len(reporters)} reporters' tokens on {base}: {', '.join(phases)}, in turn: "
                    f"2 x {config.duration / 2:g} s each ...")
                result = load(base, phases, [], "", config.duration / 2, rounds=2, token_file=key_file)
    finally:
        created = _clean_up(last_incident)
    m = {name: combine(runs) for name, runs in result["phases"].items()}
    api, rows = m["api"], m["rows"]
    log(f"creations/s: API {api['rps']:.1f}, same rows {rows['rps']:.1f} ({created} incidents created)")
    figures = [
        figure("creations/s (POST JSON)", api["rps"], "req/s", ceiling="same-rows bare API view creations/s",
               ceiling_value=rows["rps"], target=f">= {THROUGHPUT_TARGET:g}x",
               met=api["rps"] >= THROUGHPUT_TARGET * rows["rps"], higher_is_better=True),
        figure("creation p50", api["p50_ms"], "ms", ceiling="same-rows bare API view p50",
               ceiling_value=rows["p50_ms"]),
        figure("creation p95", api["p95_ms"], "ms", ceiling="same-rows bare API view p95",
               ceiling_value=rows["p95_ms"]),
        figure("queries per creation", queries["api"], "queries", ceiling="same-rows bare API view queries",
               ceiling_value=queries["rows"]),
        figure("creations measured", api["requests"], "requests", ceiling="same-rows bare API view creations",
               ceiling_value=rows["requests"]),
    ]
    return {"status": "ok", "figures": figures, "workers": WORKERS, "clients": len(reporters),
            "incidents_created": created}
