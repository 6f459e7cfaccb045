"""Benchmark 5a: one SLA sweep over 100,000 open incidents of which 1% are due, against a set-based
ceiling and the naive loop.

Set-up (committed, and undone at the end so that the data set stays as stamped): the data set's
active incidents are given a clock with nothing due for weeks, and clones fill the open incidents
up to 100,000 x BENCH_SCALE, spread over every team and priority. 1% of them are due, not all
alike: half are assigned and past their resolution deadline, half unassigned and past their
response deadline (which also fires the P1/P2 "unassigned" rules).

- `sweep.sweep(now)` runs as beat runs it, committing its batches (and queueing its notice tasks
  after commit), five times from the same starting point: p50 and spread of the five.
- The ceiling: the rows that sweep wrote (timeline events, fired escalations, notification and
  page rows, the incidents' new clocks), written again from memory by a handful of set-based
  statements in one committed transaction, after reading what is due with a row lock: what the
  database needs for that work, with none of the sweep's deciding. Also five times, p50.
- The naive loop (every open incident visited, its checkpoints worked out in Python) once, in a
  transaction rolled back: an extra figure, no target.
- With every team given an escalation path, one sweep more in a rolled-back transaction, so that
  the "route to tier 2/3" rule routes each due incident through the services: for information.
"""

from __future__ import annotations

import shutil
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from core import bulk
from incidents import roles, services
from incidents.models import Escalation, EscalationPath, Incident, IncidentEvent, Notification, Page, Team
from incidents.oncall import chain
from incidents.sla import clock, sweep
from incidents.sla.context import Context
from incidents.workflow import State

from .config import FULL_SIZE, Config
from .report import figure

DUE_SHARE = 100  # one incident in 100 is due
WALL_TARGET_S = 2.0
CEILING_TARGET = 2.0  # the sweep's p50 within 2x of the set-based ceiling's
SPEED_TARGET = 20.0  # the sweep at least 20x faster than the naive loop
REPEATS = 5
BATCH = 500  # rows per INSERT: within SQLite's bound-variable limit at ~60 columns
RESPONSE_TARGET = 4 * 60  # minutes; a P3's targets, so that the 75% thresholds are weeks away
RESOLUTION_TARGET = 5 * 24 * 60


def naive_sweep(now: datetime | None = None, chunk_size: int = 2000) -> sweep.SweepResult:
    """The yardstick: the same work as `sweep.sweep` done the naive way: visit every open incident,
    work out in Python whether anything is due, and fire it. Not strawman-slow: what was fired is
    read per chunk of incidents, not per incident; the difference from `sweep` is only that it
    looks at every open incident instead of the indexed few that are due."""
    now = now or timezone.now()
    ctx = Context.start(now)
    config = ctx.config
    result = sweep.SweepResult()
    active = Incident.objects.filter(state__in=clock.ACTIVE_STATES).select_related("team", "assignee").order_by("pk")
    last = 0
    while True:
        chunk = list(active.filter(pk__gt=last)[:chunk_size])
        if not chunk:
            break
        last = chunk[-1].pk
        fired = clock.fired_keys([i.pk for i in chunk])
        for incident in chunk:
            points = clock.checkpoints(incident, config, fired.get(incident.pk, ()))
            stale = incident.sla_priority != incident.priority
            if stale or any(p.due_at <= now for p in points):
                with transaction.atomic():
                    sweep.process([incident], ctx, result, fired)
    result.pages_passed_on += chain.pass_on_pages(ctx, 500)
    return result


class _RollBack(Exception):
    """Raised to undo what a rolled-back measurement did."""


def log(message: str) -> None:
    print(f"[bench]   {message}", file=sys.stderr, flush=True)


def open_target(scale: float) -> int:
    return max(100, round(FULL_SIZE * scale))


def _resolver_id() -> int | None:
    from django.contrib.auth import get_user_model

    return (get_user_model().objects.filter(groups__name=roles.RESOLVER).order_by("pk")
            .values_list("pk", flat=True).first())


CLOCK_FIELDS = ["assignee_id", "state", "priority", "responded_at", "resolved_at", "unassigned_since",
                "clock_paused_at", "update_due_at", "auto_close_at", "sla_priority", "sla_started_at",
                "response_target", "resolution_target", "respond_by", "resolve_by", "next_due_at",
                "response_breached", "resolution_breached"]
# Tables the sweep writes rows into, children first (the order to delete in).
WRITTEN = [Page, Notification, Escalation, IncidentEvent]
CLONE_PREFIX = "SLA-"


def add_open_incidents(total: int, now) -> int:
    """Clone incidents of the data set until `total` incidents are active, each clone in a team and
    at a priority of its own (round robin); returns how many are active."""
    active = Incident.objects.filter(state__in=clock.ACTIVE_STATES)
    missing = total - active.count()
    template = active.order_by("pk").first() or Incident.objects.order_by("pk").first()
    if template is None:
        raise AssertionError("the data set has no incident to clone")
    teams = list(Team.objects.order_by("pk").values_list("pk", flat=True))
    fields = [f for f in Incident._meta.concrete_fields if not f.primary_key]
    values = {f.attname: getattr(template, f.attname) for f in fields}
    values.update(state=State.IN_PROGRESS, opened_at=now - timedelta(hours=2))
    created = 0
    while created < missing:
        batch = [Incident(**{**values, "reference": f"{CLONE_PREFIX}{n:09d}", "team_id": teams[n % len(teams)],
                             "priority": 1 + n % 4, "summary": f"{values['summary'][:180]} #{n}"})
                 for n in range(created, created + min(BATCH, missing - created))]
        Incident.objects.bulk_create(batch, batch_size=BATCH)
        created += len(batch)
        if created % 20_000 < BATCH:
            log(f"sla_sweep: {created:,}/{missing:,} open incidents added")
    return active.count()


def set_clocks(now) -> list[int]:
    """Every active incident: in progress, assigned, responded to, resolution due in 30 days. Then
    every DUE_SHARE-th one is due (`make_due`). Returns the due ids."""
    from django.db.models import F

    active = Incident.objects.filter(state__in=clock.ACTIVE_STATES)
    active.filter(assignee__isnull=True).update(assignee_id=_resolver_id())
    active.update(
        state=State.IN_PROGRESS, responded_at=now - timedelta(hours=1), resolved_at=None, unassigned_since=None,
        clock_paused_at=None, update_due_at=None, auto_close_at=None, sla_priority=F("priority"),
        sla_started_at=None,  # clocks as old as the incidents: nothing predates them
        response_target=RESPONSE_TARGET, resolution_target=RESOLUTION_TARGET,
        respond_by=now - timedelta(hours=1), resolve_by=now + timedelta(days=30),
        next_due_at=now + timedelta(days=25), response_breached=False, resolution_breached=False,
    )
    due = list(active.order_by("pk").values_list("pk", flat=True))[::DUE_SHARE]
    make_due(due, now)
    return due


def make_due(due: list[int], now) -> None:
    """Half of them assigned and past their resolution deadline; half unassigned for two hours and
    past their response deadline. Run again before every timed sweep, to start from the same point."""
    from django.db.models import F

    late, unanswered = due[0::2], due[1::2]
    for start in range(0, len(due), BATCH):
        Incident.objects.filter(pk__in=late[start:start + BATCH]).update(
            state=State.IN_PROGRESS, assignee_id=_resolver_id(), responded_at=now - timedelta(hours=1),
            unassigned_since=None, respond_by=now - timedelta(hours=1), resolve_by=now - timedelta(minutes=1),
            next_due_at=now - timedelta(minutes=1), response_breached=False, resolution_breached=False,
            sla_priority=F("priority"))
        Incident.objects.filter(pk__in=unanswered[start:start + BATCH]).update(
            state=State.TRIAGED, assignee_id=None, responded_at=None, unassigned_since=now - timedelta(hours=2),
            respond_by=now - timedelta(minutes=1), resolve_by=now + timedelta(days=5),
            next_due_at=now - timedelta(minutes=1), response_breached=False, resolution_breached=False,
            sla_priority=F("priority"))


def watermarks() -> dict[type, int]:
    return {model: model.objects.aggregate(m=Max("pk"))["m"] or 0 for model in WRITTEN}


def written_since(marks: dict[type, int]) -> dict[type, list[dict]]:
    """Every row the sweep wrote, as plain values, oldest first."""
    return {model: list(model.objects.filter(pk__gt=marks[model]).order_by("pk").values()) for model in WRITTEN}


def delete_since(marks: dict[type, int]) -> None:
    for model in WRITTEN:
        model.objects.filter(pk__gt=marks[model]).delete()


def clocks_of(ids: list[int]) -> list[dict]:
    return [row for start in range(0, len(ids), BATCH)
            for row in Incident.objects.filter(pk__in=ids[start:start + BATCH]).values("pk", *CLOCK_FIELDS)]


def set_based(now, due: list[int], rows: dict[type, list[dict]], clocks: list[dict]) -> None:
    """The ceiling: lock what is due, write the sweep's rows again by a few set-based statements
    (COPY on PostgreSQL), set the new clocks, commit."""
    with transaction.atomic():
        locked = Incident.objects.filter(next_due_at__lte=now)
        if connection.vendor == "postgresql":
            locked = locked.select_for_update(of=("self",))
        assert len(list(locked.values_list("pk", flat=True))) == len(due)
        plain = {model: [{k: v for k, v in row.items() if k != "id"} for row in rows[model]] for model in WRITTEN}
        event_ids = dict(zip([r["id"] for r in rows[IncidentEvent]],
                             bulk.insert_rows(IncidentEvent, plain[IncidentEvent], returning=True), strict=True))
        for row in plain[Escalation]:
            row["event_id"] = event_ids.get(row["event_id"], row["event_id"])
        escalation_ids = dict(zip([r["id"] for r in rows[Escalation]],
                                  bulk.insert_rows(Escalation, plain[Escalation], returning=True), strict=True))
        for row in plain[Notification]:
            row["event_id"] = event_ids[row["event_id"]]
        bulk.insert_rows(Notification, plain[Notification])
        for row in plain[Page]:
            row["event_id"] = event_ids.get(row["event_id"], row["event_id"])
            row["escalation_id"] = escalation_ids[row["escalation_id"]]
        bulk.insert_rows(Page, plain[Page])
        bulk.update_rows(Incident, clocks, CLOCK_FIELDS)


def ms(seconds: float) -> float:
    return seconds * 1000


def p50_of(runs: list[float]) -> float:
    return sorted(runs)[len(runs) // 2]


def add_escalation_paths() -> int:
    """Give every team an escalation path to the next team by id (the last to the first)."""
    teams = list(Team.objects.order_by("pk").values_list("pk", flat=True))
    EscalationPath.objects.all().delete()
    EscalationPath.objects.bulk_create(
        [EscalationPath(team_id=team, escalates_to_id=teams[(n + 1) % len(teams)]) for n, team in enumerate(teams)]
    )
    return len(teams)


TOUCHED = ["incidents_incident", "incidents_historicalincident", "incidents_incidentevent", "incidents_escalation",
           "incidents_notification", "incidents_escalationpath"]


def reclaim() -> None:
    """PostgreSQL keeps the rolled-back rows as dead tuples (a run leaves ~400,000 in the incident
    table); without autovacuum the next run's page benchmarks would read through them. Vacuum what
    this benchmark touched. SQLite's rollback leaves nothing behind."""
    if connection.vendor != "postgresql":
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(TOUCHED)}")
    log(f"sla_sweep: vacuumed in {time.perf_counter() - started:.1f} s")


def timed(work) -> tuple[sweep.SweepResult, float, int]:
    # Counted with an execute wrapper rather than CaptureQueriesContext, whose log keeps only the
    # last 9,000 queries: the naive loop at full size runs more than that.
    count = 0

    def counting(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        started = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - started
    return result, seconds, count


def sla_sweep(config: Config) -> dict:
    now = timezone.now()
    total = open_target(config.scale)
    services.system_user()  # created once ever; not part of a sweep's work
    active_ids = list(Incident.objects.filter(state__in=clock.ACTIVE_STATES).values_list("pk", flat=True))
    saved = clocks_of(active_ids)  # the data set's own, put back at the end
    marks = watermarks()
    try:
        started = time.perf_counter()
        with transaction.atomic():
            active = add_open_incidents(total, now)
            due = set_clocks(now)
        setup = time.perf_counter() - started
        log(f"sla_sweep: {active:,} open incidents, {len(due):,} due (set up in {setup:.1f} s); "
            f"sweep() x {REPEATS}, committed")
        sweeps, sweep_s = [], []
        for _ in range(REPEATS):
            delete_since(marks)
            make_due(due, now)
            swept, seconds, queries = timed(lambda: sweep.sweep(now))
            sweeps.append((swept, queries))
            sweep_s.append(seconds)
        swept, sweep_q = sweeps[0]
        rows, after = written_since(marks), clocks_of(due)
        log(f"sla_sweep: sweep() p50 {p50_of(sweep_s):.2f} s; the same rows by set-based statements x {REPEATS}")
        ceiling_s = []
        for _ in range(REPEATS):
            delete_since(marks)
            make_due(due, now)
            _, seconds, ceiling_q = timed(lambda: set_based(now, due, rows, after))
            ceiling_s.append(seconds)
        delete_since(marks)
        make_due(due, now)
        log(f"sla_sweep: set-based p50 {p50_of(ceiling_s):.2f} s; the same work with naive_sweep()")
        try:
            with transaction.atomic():
                naive, naive_s, naive_q = timed(lambda: naive_sweep(now))
                raise _RollBack
        except _RollBack:
            pass
        try:
            with transaction.atomic():
                paths = add_escalation_paths()
                log(f"sla_sweep: naive_sweep() {naive_s:.2f} s; sweep() again with {paths} escalation paths")
                routing, routing_s, routing_q = timed(lambda: sweep.sweep(now))
                routed = (Incident.objects.filter(events__transition="route", events__created_at__gte=now)
                          .distinct().count())
                raise _RollBack
        except _RollBack:
            pass
    finally:
        restore(marks, saved)
    log("sla_sweep: the data set is as it was")
    reclaim()

    sweep_p50, ceiling_p50 = p50_of(sweep_s), p50_of(ceiling_s)
    ceiling_ratio = sweep_p50 / ceiling_p50 if ceiling_p50 else None
    ratio = naive_s / sweep_p50 if sweep_p50 else None
    written = {model._meta.model_name: len(r) for model, r in rows.items()}
    figures = [
        figure(f"sweep wall time p50 of {REPEATS}, commits included ({active:,} open, {len(due):,} due)", ms(sweep_p50),
               "ms", ceiling="set-based ceiling p50", ceiling_value=ms(ceiling_p50),
               target=f"<= {CEILING_TARGET:g}x and < {WALL_TARGET_S:g} s",
               met=ceiling_ratio is not None and ceiling_ratio <= CEILING_TARGET and sweep_p50 < WALL_TARGET_S),
        figure(f"sweep wall time, fastest and slowest of {REPEATS}", ms(min(sweep_s)), "ms", ceiling="slowest",
               ceiling_value=ms(max(sweep_s))),
        figure(f"set-based ceiling, fastest and slowest of {REPEATS}", ms(min(ceiling_s)), "ms", ceiling="slowest",
               ceiling_value=ms(max(ceiling_s))),
        figure("sweep queries", sweep_q, "queries", ceiling="set-based ceiling queries", ceiling_value=ceiling_q),
        figure("naive loop wall time (rolled back)", ms(naive_s), "ms", ceiling="sweep wall time p50",
               ceiling_value=ms(sweep_p50)),
        figure("naive loop / sweep", ratio or 0.0, "x", target=f">= {SPEED_TARGET:g}x",
               met=ratio is not None and ratio >= SPEED_TARGET, higher_is_better=True),
        figure("naive loop queries", naive_q, "queries", ceiling="sweep queries", ceiling_value=sweep_q),
        figure("incidents handled by the sweep", swept.due, "incidents", ceiling="by the naive loop",
               ceiling_value=naive.due),
        figure("escalations fired by the sweep", swept.escalations + swept.breaches, "actions",
               ceiling="by the naive loop", ceiling_value=naive.escalations + naive.breaches),
        figure("rows written by the sweep", sum(written.values()), "rows"),
        # Not a target: what the "route to tier 2/3" rule costs when every due incident has
        # somewhere to go, each routed through the services like a person's routing.
        figure("sweep wall time, every due incident routed up a tier", ms(routing_s), "ms", ceiling="sweep wall time p50",
               ceiling_value=ms(sweep_p50)),
        figure("sweep queries, every due incident routed up a tier", routing_q, "queries"),
        figure("incidents routed by that sweep", routed, "incidents"),
    ]
    return {"status": "ok", "figures": figures, "open_incidents": active, "due": len(due),
            "setup_seconds": round(setup, 1), "sweep_seconds": sweep_s, "ceiling_seconds": ceiling_s,
            "rows_written": written, "sweep": vars(swept), "naive": vars(naive), "routing_sweep": vars(routing)}


def restore(marks: dict[type, int], saved: list[dict]) -> None:
    """Put the data set back as stamped: the sweeps' rows and the clones deleted, the data set's own
    active incidents' clocks as they were."""
    with transaction.atomic():
        delete_since(marks)
        Incident.objects.filter(reference__startswith=CLONE_PREFIX).delete()
        for start in range(0, len(saved), BATCH):
            bulk.update_rows(Incident, saved[start:start + BATCH], CLOCK_FIELDS)
    broker = Path(settings.CELERY_FILESYSTEM_BROKER_DIR)  # the notice tasks the committed sweeps queued
    if broker.is_dir() and str(broker).startswith(str(settings.VAR_DIR)):
        shutil.rmtree(broker, ignore_errors=True)
