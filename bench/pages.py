"""Benchmarks 1 and 2: list pages through the Django test client, against two ceilings.

For each page variant: p50/p95 of the whole request (middleware, admin, template) and the number
of queries, against
- the same rows through a bare view (`bench/list/`: the page's 50 rows fetched by id and printed
  by a plain template, behind the same middleware and login): what the list machinery costs,
  target within 2x;
- the same page on a 1,000-incident data set, measured in the same run by a child bench on a data
  set of its own: what grows with the table, target the big page within 1.3x.
The page's main SELECT run raw through a cursor stays as a figure without a target: a rendered page
is never within a small factor of a one-millisecond query, and that ratio rewarded slow queries.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from incidents import roles
from incidents.models import Incident, Team
from incidents.workflow import OPEN_STATES, State

from .config import PROJECT_DIR, Config
from .report import figure, median, percentile

NOT_BUILT = "not built yet"
WARMUP = 2
BARE_TARGET = 2.0  # the page's p50 within 2x of a bare view printing the same rows
SMALL_TARGET = 1.3  # the page at full size within 1.3x of the same page on the small data set
SMALL_SCALE = 0.01  # 1,000 incidents
MAIN_TABLE = re.compile(r'FROM\s+"?incidents_incident"?(\s|$)', re.IGNORECASE)
ROW_LINK = re.compile(r'/admin/incidents/incident/(\d+)/change/')


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


def row_ids(html: str) -> list[int]:
    """The incidents a list page shows, in its order (each row links to its change page)."""
    return list(dict.fromkeys(int(pk) for pk in ROW_LINK.findall(html)))


def timed_gets(client: Client, url: str, repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure(client: Client, url: str, repeats: int) -> dict:
    """Latencies and queries of one page, the bare view's for the same rows, and the page's main
    query's raw latencies."""
    for _ in range(WARMUP):
        response = client.get(url)
        if response.status_code != 200:
            raise AssertionError(f"GET {url} answered {response.status_code}, not 200")
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url)
    # Read now: the next request clears the connection's query log.
    queries = list(captured.captured_queries)
    sql = main_query(queries)
    ids = row_ids(page.content.decode())
    bare_url = f"/bench/list/?ids={','.join(map(str, ids))}"
    for _ in range(WARMUP):
        client.get(bare_url)
    # Interleaved in two halves, so that a slow moment of the machine hits both.
    half = max(1, repeats // 2)
    samples, bare = timed_gets(client, url, half), timed_gets(client, bare_url, half)
    samples += timed_gets(client, url, repeats - half)
    bare += timed_gets(client, bare_url, repeats - half)
    raw = time_raw(sql, repeats) if sql else []
    db_ms = sum(float(q["time"]) for q in queries) * 1000
    return {"url": url, "queries": len(queries), "db_ms": db_ms, "samples": samples, "bare": bare, "rows": len(ids),
            "raw": raw, "sql": sql}


def page_figures(label: str, m: dict, small: dict[str, dict] | None) -> list[dict]:
    p50, p95 = median(m["samples"]), percentile(m["samples"], 95)
    bare50, bare95 = median(m["bare"]), percentile(m["bare"], 95)
    figures = [
        figure(f"{label} p50", p50, "ms", ceiling=f"bare view, same {m['rows']} rows p50", ceiling_value=bare50,
               target=f"<= {BARE_TARGET:g}x", met=p50 <= BARE_TARGET * bare50),
        figure(f"{label} p95", p95, "ms", ceiling=f"bare view, same {m['rows']} rows p95", ceiling_value=bare95),
    ]
    theirs = (small or {}).get(f"{label} p50")
    if theirs:
        rows = re.search(r"same (\d+) rows", theirs["ceiling"])
        figures.append(figure(f"{label} p50 against the 1k data set", p50, "ms",
                              ceiling=f"same page at 1,000 incidents ({rows.group(1) if rows else '?'} rows) p50",
                              ceiling_value=theirs["value"],
                              target=f"<= {SMALL_TARGET:g}x", met=p50 <= SMALL_TARGET * theirs["value"]))
    if m["raw"]:
        figures.append(figure(f"{label} main query alone p50", median(m["raw"]), "ms"))
    figures += [
        figure(f"{label} queries", m["queries"], "queries"),
        # Where the rest of the time goes: all of the page's queries (count, filters, main) in one request.
        figure(f"{label} time in all its queries", m["db_ms"], "ms"),
    ]
    return figures


def small_database_url(url: str) -> str:
    """A PostgreSQL database of its own for the small data set (created when missing)."""
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_small"
    with psycopg.connect(urlunsplit((parts.scheme, parts.netloc, "/postgres", "", "")), autocommit=True) as db:
        if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            db.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def on_small_data_set(config: Config, name: str) -> dict[str, dict] | None:
    """The same benchmark on a 1,000-incident data set of its own, in a child bench (generated on
    its first run, then reused): its figures by name. None when this run is the small one."""
    if config.scale <= SMALL_SCALE * 2 or os.environ.get("BENCH_SMALL_CEILING") == "0":
        return None
    folder = config.data_dir / "small"
    results = folder / f"results-{name}.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "ITSM_VAR_DIR")}
    env.update(BENCH_SCALE=str(SMALL_SCALE), BENCH_ONLY=name, BENCH_DATA_DIR=str(folder), BENCH_RESULTS=str(results),
               BENCH_SMALL_CEILING="0")
    if config.vendor == "postgresql":
        env["DATABASE_URL"] = small_database_url(config.database_url)
    else:
        env.pop("DATABASE_URL", None)
    log(f"{name}: the same pages on a {SMALL_SCALE * 100_000:,.0f}-incident data set ...")
    done = subprocess.run([sys.executable, "-m", "bench"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True,
                          check=False, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"the small data set's {name} failed: {done.stderr[-2000:]}")
    report = json.loads(results.read_text())
    bench = next(b for b in report["benchmarks"] if b["name"] == name)
    return {f["figure"]: f for f in bench["figures"]}


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
    at_1k = on_small_data_set(config, "changelist")
    figures = []
    for label in ("first page", "state+team", "search 'printer'"):
        figures += page_figures(label, m[label], at_1k)
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
    at_1k = on_small_data_set(config, "queue")
    figures = page_figures("queue page", m["queue page"], at_1k)
    figures.append(figure("queue page waiting incidents", big.n, "incidents"))
    figures.append(constant_queries(m["queue page"], m["small queue"], f"{big.n} waiting", f"{small.n} waiting"))
    return {"status": "ok", "figures": figures, "main_queries": {k: v["sql"] for k, v in m.items()}}
