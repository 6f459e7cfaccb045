"""Benchmark 5a: one SLA sweep over 100,000 open incidents of which 1% are due, against the naive loop.

Everything happens in one transaction that is rolled back at the end, so the data set stays as
stamped: the data set's active incidents are given a clock with nothing due for weeks, clones of
one of them fill the open incidents up to 100,000 x BENCH_SCALE, and 1% of all of them get a
resolution deadline a minute ago. `sweep.sweep(now)` runs once (wall time, queries), the work
is undone to a savepoint, and `naive_sweep(now)` does the same work on the same rows.
Then, undone again, every team is given an escalation path and the sweep runs once more, so that
the "route to tier 2/3" rule really routes each due incident through the services: a figure for
information, without a target. Messages would leave after commit, which never comes: nothing is
queued or sent.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from incidents import roles, services
from incidents.models import EscalationPath, Incident, Team
from incidents.oncall import chain
from incidents.sla import clock, sweep
from incidents.sla.context import Context
from incidents.workflow import State

from .config import FULL_SIZE, Config
from .report import figure

DUE_SHARE = 100  # one incident in 100 is due
WALL_TARGET_S = 2.0
SPEED_TARGET = 20.0  # the sweep at least 20x faster than the naive loop
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
    """Raised to undo everything the benchmark created."""


def log(message: str) -> None:
    print(f"[bench]   {message}", file=sys.stderr, flush=True)


def open_target(scale: float) -> int:
    return max(100, round(FULL_SIZE * scale))


def _resolver_id() -> int | None:
    from django.contrib.auth import get_user_model

    return (get_user_model().objects.filter(groups__name=roles.RESOLVER).order_by("pk")
            .values_list("pk", flat=True).first())


def add_open_incidents(total: int, now) -> int:
    """Clone an incident of the data set until `total` incidents are active; returns how many exist."""
    active = Incident.objects.filter(state__in=clock.ACTIVE_STATES)
    missing = total - active.count()
    template = active.order_by("pk").first() or Incident.objects.order_by("pk").first()
    if template is None:
        raise AssertionError("the data set has no incident to clone")
    fields = [f for f in Incident._meta.concrete_fields if not f.primary_key]
    values = {f.attname: getattr(template, f.attname) for f in fields}
    values.update(state=State.IN_PROGRESS, opened_at=now - timedelta(hours=2))
    created = 0
    while created < missing:
        batch = [Incident(**{**values, "reference": f"SLA-{created + n:09d}"})
                 for n in range(min(BATCH, missing - created))]
        Incident.objects.bulk_create(batch, batch_size=BATCH)
        created += len(batch)
        if created % 20_000 < BATCH:
            log(f"sla_sweep: {created:,}/{missing:,} open incidents added")
    return active.count()


def set_clocks(now) -> int:
    """Every active incident: in progress, assigned, responded to, resolution due in 30 days; then
    every DUE_SHARE-th one due a minute ago. Returns the number due."""
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
    ids = list(active.order_by("pk").values_list("pk", flat=True))[::DUE_SHARE]
    for start in range(0, len(ids), BATCH):
        Incident.objects.filter(pk__in=ids[start:start + BATCH]).update(
            resolve_by=now - timedelta(minutes=1), next_due_at=now - timedelta(minutes=1))
    return len(ids)


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
    try:
        with transaction.atomic():
            services.system_user()  # created once ever; not part of a sweep's work
            started = time.perf_counter()
            active = add_open_incidents(total, now)
            due = set_clocks(now)
            setup = time.perf_counter() - started
            log(f"sla_sweep: {active:,} open incidents, {due:,} due (set up in {setup:.1f} s); sweep()")
            before = transaction.savepoint()
            swept, sweep_s, sweep_q = timed(lambda: sweep.sweep(now))
            transaction.savepoint_rollback(before)
            log(f"sla_sweep: sweep() {sweep_s:.2f} s; the same work with naive_sweep()")
            naive, naive_s, naive_q = timed(lambda: naive_sweep(now))
            transaction.savepoint_rollback(before)
            paths = add_escalation_paths()
            log(f"sla_sweep: naive_sweep() {naive_s:.2f} s; sweep() again with {paths} escalation paths")
            routing, routing_s, routing_q = timed(lambda: sweep.sweep(now))
            routed = Incident.objects.filter(events__transition="route", events__created_at__gte=now).distinct().count()
            raise _RollBack
    except _RollBack:
        pass
    log("sla_sweep: rolled back")
    reclaim()

    ratio = naive_s / sweep_s if sweep_s else None
    figures = [
        figure(f"sweep wall time ({active:,} open, {due:,} due)", sweep_s, "s", ceiling="naive loop wall time",
               ceiling_value=naive_s, target=f"< {WALL_TARGET_S:g} s and <= 1/{SPEED_TARGET:g} of the naive loop",
               met=sweep_s < WALL_TARGET_S and ratio is not None and ratio >= SPEED_TARGET),
        figure("naive loop / sweep", ratio or 0.0, "x", target=f">= {SPEED_TARGET:g}x",
               met=ratio is not None and ratio >= SPEED_TARGET, higher_is_better=True),
        figure("sweep queries", sweep_q, "queries", ceiling="naive loop queries", ceiling_value=naive_q),
        figure("incidents handled by the sweep", swept.due, "incidents", ceiling="by the naive loop",
               ceiling_value=naive.due),
        figure("escalations fired by the sweep", swept.escalations + swept.breaches, "actions",
               ceiling="by the naive loop", ceiling_value=naive.escalations + naive.breaches),
        # Not a target: what the "route to tier 2/3" rule costs when every due incident has
        # somewhere to go, each routed through the services like a person's routing.
        figure("sweep wall time, every due incident routed up a tier", routing_s, "s", ceiling="sweep wall time",
               ceiling_value=sweep_s),
        figure("sweep queries, every due incident routed up a tier", routing_q, "queries"),
        figure("incidents routed by that sweep", routed, "incidents"),
    ]
    return {"status": "ok", "figures": figures, "open_incidents": active, "due": due,
            "setup_seconds": round(setup, 1), "sweep": vars(swept), "naive": vars(naive), "routing_sweep": vars(routing)}
