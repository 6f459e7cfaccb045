"""Benchmark 1b: the incident list and a team queue through gunicorn, with 8 agents at once.

gunicorn runs the project (bench settings) with 2 sync workers, as in the portal benchmark;
`bench.loadgen` logs 8 desk agents in through the login form and has them read the list pages over
keep-alive connections, all at once, for a fixed time per page. The ceiling is the same load on the
bare view printing the same 50 rows (`bench/list/`). Reported: p50/p95 and pages/s of each.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.test import Client

from incidents import roles
from incidents.models import Team

from .config import Config
from .pages import BARE_TARGET, row_ids, url_or_none
from .portal_load import WORKERS, combine, gunicorn, load, log
from .report import figure

AGENTS = 8


def lists_load(config: Config) -> dict:
    changelist = url_or_none("admin:incidents_incident_changelist")
    queue = url_or_none("admin:incidents_incident_queue")
    if changelist is None or queue is None:
        return {"status": "not built yet", "note": "the incident list or the queue does not exist", "figures": []}
    from bench.dataset import DEFAULT_PASSWORD

    agents = list(get_user_model().objects.filter(groups__name=roles.DESK_AGENT, is_active=True).order_by("pk")
                  .values_list("username", flat=True)[:AGENTS])
    desk = Team.objects.filter(members__username=agents[0]).order_by("tier", "pk").first()
    queue_url = f"{queue}?team={desk.slug}" if desk else queue
    client = Client()
    client.force_login(get_user_model().objects.get(username=agents[0]))
    ids = row_ids(client.get(changelist).content.decode())
    pages = {"list": f"get:{changelist}", "queue": f"get:{queue_url}",
             "bare": f"get:/bench/list/?ids={','.join(map(str, ids))}"}
    with gunicorn() as base:
        log(f"{len(agents)} agents on {base}: {', '.join(pages)}, in turn: 2 x {config.duration / 2:g} s each ...")
        result = load(base, pages, agents, DEFAULT_PASSWORD, config.duration / 2, rounds=2)
    m = {name: combine(runs) for name, runs in result["phases"].items()}
    bare = m["bare"]
    figures = []
    for name, label in (("list", "incident list, first page"), ("queue", f"queue ({desk.slug if desk else 'all'})")):
        figures += [
            figure(f"{label} p95, {len(agents)} agents at once", m[name]["p95_ms"], "ms",
                   ceiling="bare view, same rows p95", ceiling_value=bare["p95_ms"], target=f"<= {BARE_TARGET:g}x",
                   met=m[name]["p95_ms"] <= BARE_TARGET * bare["p95_ms"]),
            figure(f"{label} p50, {len(agents)} agents at once", m[name]["p50_ms"], "ms",
                   ceiling="bare view, same rows p50", ceiling_value=bare["p50_ms"]),
            figure(f"{label} pages/s", m[name]["rps"], "req/s", ceiling="bare view pages/s",
                   ceiling_value=bare["rps"], higher_is_better=True),
        ]
    return {"status": "ok", "figures": figures, "workers": WORKERS, "agents": len(agents)}
