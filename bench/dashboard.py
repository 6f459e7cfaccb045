"""Benchmark: the staff home (the admin's index, `dashboard/`) for an incident manager and for a
desk agent, through the Django test client.

For each: p50/p95 of the whole request and its queries, against a ceiling measured in the same
run, interleaved with it: a bare logged-in admin page (`bench/admin-page/`: the admin's own base
template with the site's context, its sidebar of models included, behind the same middleware and
login), what any admin page costs before it shows anything. Target: the page's p95 under one
second ("well under a second at 100k incidents"); the ratio to the bare page is reported beside it.
On a large data set the same page on the 1,000-incident data set is measured too (as for the
lists): its query count must be the same, and the ratio of the two p50s says what grows with the
table (the figures aggregate the open incidents and those of the last 30 days, not the whole table).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incidents import roles

from .config import Config
from .pages import NOT_BUILT, WARMUP, log, on_small_data_set, timed_gets, url_or_none
from .report import figure, median, percentile

BARE_URL = "/bench/admin-page/"
TARGET_MS = 1000.0


def _first_user(role: str):
    return get_user_model().objects.filter(groups__name=role, is_active=True).order_by("pk").first()


def _measure(client: Client, url: str, repeats: int) -> dict:
    for _ in range(WARMUP):
        response = client.get(url)
        if response.status_code != 200 or b'id="staff-home"' not in response.content:
            raise AssertionError(f"GET {url} answered {response.status_code} without the staff home")
        client.get(BARE_URL)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    queries = list(captured.captured_queries)
    half = max(1, repeats // 2)
    samples, bare = timed_gets(client, url, half), timed_gets(client, BARE_URL, half)
    samples += timed_gets(client, url, repeats - half)
    bare += timed_gets(client, BARE_URL, repeats - half)
    return {"samples": samples, "bare": bare, "queries": len(queries),
            "db_ms": sum(float(q["time"]) for q in queries) * 1000,
            "slowest": max(queries, key=lambda q: float(q["time"]))["sql"] if queries else None}


def dashboard(config: Config) -> dict:
    url = url_or_none("admin:index")
    if url is None:
        return {"status": NOT_BUILT, "note": "the admin is not mounted", "figures": []}
    people = {"manager": _first_user(roles.INCIDENT_MANAGER), "agent": _first_user(roles.DESK_AGENT)}
    at_1k = on_small_data_set(config, "dashboard")
    figures, slowest = [], {}
    for label, user in people.items():
        if user is None:
            raise AssertionError(f"the data set has no {label}")
        client = Client()
        client.force_login(user)
        log(f"dashboard: {label} ({user.username}): {url} ({config.repeats} requests, and the bare admin page)")
        m = _measure(client, url, config.repeats)
        p50, p95 = median(m["samples"]), percentile(m["samples"], 95)
        bare50, bare95 = median(m["bare"]), percentile(m["bare"], 95)
        figures += [
            figure(f"{label} p50", p50, "ms", ceiling="bare admin page p50", ceiling_value=bare50),
            figure(f"{label} p95", p95, "ms", ceiling="bare admin page p95", ceiling_value=bare95,
                   target=f"< {TARGET_MS:.0f} ms", met=p95 < TARGET_MS),
            figure(f"{label} queries", m["queries"], "queries"),
            figure(f"{label} time in all its queries", m["db_ms"], "ms"),
        ]
        theirs = (at_1k or {}).get(f"{label} queries")
        if theirs:
            figures.append(figure(f"{label} queries, this data set vs 1,000 incidents", m["queries"], "queries",
                                  ceiling="queries at 1,000 incidents", ceiling_value=theirs["value"],
                                  target="equal (independent of rows)", met=m["queries"] == theirs["value"]))
            small50 = (at_1k or {}).get(f"{label} p50")
            figures.append(figure(f"{label} p50 against the 1k data set", p50, "ms",
                                  ceiling="same page at 1,000 incidents p50", ceiling_value=small50["value"]))
        slowest[label] = m["slowest"]
    return {"status": "ok", "figures": figures, "slowest_queries": slowest}
