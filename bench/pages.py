"""Benchmarks 1, 2 and 4: list pages through the Django test client, against their own main query.

For each page variant: p50/p95 of the whole request (middleware, admin, template), the number of
queries, and the ceiling: the page's main SELECT (the one with LIMIT on the incident table,
captured from the request) run raw through a cursor, the same number of times.
"""

from __future__ import annotations

import re
import sys
import time

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from incidents import roles
from incidents.models import Incident, Team
from incidents.workflow import OPEN_STATES, State

from .config import Config
from .report import figure, median, percentile

NOT_BUILT = "not built yet"
WARMUP = 2
P50_TARGET = 3.0  # the page's p50 within 3x of its raw main query (judged on PostgreSQL)
MAIN_TABLE = re.compile(r'FROM\s+"?incidents_incident"?(\s|$)', re.IGNORECASE)


def log(message: str) -> None:
    print(f"[bench]   {message}", file=sys.stderr, flush=True)


def url_or_none(name: str, **kwargs) -> str | None:
    try:
        return reverse(name, **kwargs)
    except NoReverseMatch:
        return None


def main_query(queries: list[dict]) -> str | None:
    """The page's main SELECT: rows of the incident table, not a count. The one with a LIMIT when
    the page is one of several; a list that fits on one page is fetched without a LIMIT."""
    candidates = [
        q["sql"] for q in queries
        if MAIN_TABLE.search(q["sql"]) and not q["sql"].lstrip().upper().startswith("SELECT COUNT")
        and " ORDER BY " in q["sql"].upper()
    ]
    limited = [sql for sql in candidates if " LIMIT " in sql.upper()]
    return max(limited or candidates, key=len) if candidates else None


def time_raw(sql: str, repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql)
            cursor.fetchall()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure(client: Client, url: str, repeats: int) -> dict:
    """Latencies and queries of one page, and its main query's raw latencies."""
    for _ in range(WARMUP):
        response = client.get(url)
        if response.status_code != 200:
            raise AssertionError(f"GET {url} answered {response.status_code}, not 200")
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    # Read now: the next request clears the connection's query log.
    queries = list(captured.captured_queries)
    sql = main_query(queries)
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
    raw = time_raw(sql, repeats) if sql else []
    db_ms = sum(float(q["time"]) for q in queries) * 1000
    return {"url": url, "queries": len(queries), "db_ms": db_ms, "samples": samples, "raw": raw, "sql": sql}


def page_figures(label: str, m: dict, vendor: str) -> list[dict]:
    p50, p95 = median(m["samples"]), percentile(m["samples"], 95)
    raw50, raw95 = median(m["raw"]), percentile(m["raw"], 95)
    ratio = p50 / raw50 if m["raw"] else None
    judged = vendor == "postgresql"
    return [
        figure(f"{label} p50", p50, "ms", ceiling="raw main query p50", ceiling_value=raw50 if m["raw"] else None,
               target=f"<= {P50_TARGET:g}x (PostgreSQL)",
               met=(ratio <= P50_TARGET) if (judged and ratio is not None) else None),
        figure(f"{label} p95", p95, "ms", ceiling="raw main query p95", ceiling_value=raw95 if m["raw"] else None),
        figure(f"{label} queries", m["queries"], "queries"),
        # Where the rest of the time goes: all of the page's queries (count, filters, main) in one request.
        figure(f"{label} time in all its queries", m["db_ms"], "ms"),
    ]


def constant_queries(big: dict, small: dict, big_rows: str, small_rows: str) -> dict:
    same = big["queries"] == small["queries"]
    return figure(f"queries, {big_rows} vs {small_rows}", big["queries"], "queries",
                  ceiling=f"queries, {small_rows}", ceiling_value=small["queries"],
                  target="equal (independent of rows)", met=same)


def run_pages(title: str, client: Client, variants: list[tuple[str, str]], repeats: int) -> dict[str, dict]:
    results = {}
    for label, url in variants:
        log(f"{title}: {label}: {url} ({repeats} requests)")
        results[label] = measure(client, url, repeats)
    return results


def _agent():
    User = get_user_model()
    return User.objects.filter(groups__name=roles.DESK_AGENT).order_by("pk").first()


def changelist(config: Config) -> dict:
    url = url_or_none("admin:incidents_incident_changelist")
    if url is None:
        return {"status": NOT_BUILT, "note": "the incident admin is not registered", "figures": []}
    client = Client()
    client.force_login(_agent())
    busiest = (Incident.objects.filter(state=State.IN_PROGRESS).values("team").annotate(n=Count("pk"))
               .order_by("-n").first())
    team_id = busiest["team"] if busiest else Team.objects.order_by("pk").values_list("pk", flat=True).first()
    first = Incident.objects.order_by("pk").values_list("reference", flat=True).first()
    variants = [
        ("first page", url),
        ("state+team", f"{url}?state__exact={State.IN_PROGRESS}&team__id__exact={team_id}"),
        ("search 'printer'", f"{url}?q=printer"),
        ("one row", f"{url}?q={first}"),
    ]
    m = run_pages("changelist", client, variants, config.repeats)
    figures = []
    for label in ("first page", "state+team", "search 'printer'"):
        figures += page_figures(label, m[label], connection.vendor)
    # Both searched, so that the two differ only in their number of rows (a search looks up the
    # matching reporters first: one query more than an unsearched page, whatever the rows).
    figures.append(constant_queries(m["search 'printer'"], m["one row"], "searched full page", "one-row search"))
    return {"status": "ok", "figures": figures, "main_queries": {k: v["sql"] for k, v in m.items()}}


def queue(config: Config) -> dict:
    url = url_or_none("admin:incidents_incident_queue")
    if url is None:
        return {"status": NOT_BUILT, "note": "the team queue view does not exist", "figures": []}
    waiting = (Team.objects.annotate(n=Count("incidents", filter=Q(incidents__state__in=OPEN_STATES,
                                                                   incidents__assignee__isnull=True)))
               .filter(n__gt=0).order_by("-n", "pk"))
    big, small = waiting.first(), waiting.last()
    if big is None:
        raise AssertionError("no team has unassigned open incidents: the data set is wrong")
    # Each queue is looked at by one of its own resolvers, the people who pick from it.
    variants = [("queue page", big), ("small queue", small)]
    m = {}
    for label, team in variants:
        client = Client()
        client.force_login(big.members.filter(groups__name=roles.RESOLVER).order_by("pk").first()
                           if team is big else
                           team.members.filter(groups__name=roles.RESOLVER).order_by("pk").first() or _agent())
        repeats = config.repeats if team is big else max(3, config.repeats // 5)
        m.update(run_pages("queue", client, [(label, f"{url}?team={team.slug}")], repeats))
    figures = page_figures(f"queue page ({big.slug}, {big.n} waiting)", m["queue page"], connection.vendor)
    figures.append(constant_queries(m["queue page"], m["small queue"], f"{big.n} waiting", f"{small.n} waiting"))
    return {"status": "ok", "figures": figures, "main_queries": {k: v["sql"] for k, v in m.items()}}


API_CANDIDATES = ("api:incident-list", "api-v1:incident-list", "incident-list")
API_PATH = "/api/v1/incidents/"


def api_list(config: Config) -> dict:
    url = next((u for u in (url_or_none(name) for name in API_CANDIDATES) if u), None)
    if url is None:
        try:
            resolve(API_PATH)
            url = API_PATH
        except Resolver404:
            pass
    if url is None:
        return {"status": NOT_BUILT, "note": "the REST API has no incident list yet", "figures": []}
    client = Client()
    client.force_login(_agent())
    m = run_pages("api", client, [("incident list", url)], config.repeats)
    return {"status": "ok", "figures": page_figures("incident list", m["incident list"], connection.vendor),
            "main_queries": {"incident list": m["incident list"]["sql"]}}
