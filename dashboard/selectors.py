"""The staff home's reads. Every figure is counted in the database, each function runs one query
(two for the major incidents and for the charts) whatever the number of incidents, each reads an
index, not the table, and every one goes through the one visibility rule
(`Incident.objects.visible_to`, `incidents.selectors.of_visible_incidents`), so a figure never
counts a confidential incident its viewer may not see.

The SLA states are `incidents.selectors`' own (what the changelist's SLA filter narrows to), so a
count here and the list its link opens are the same rows.

The performance figures (MTTA, MTTR, SLA met, the open trend, breaches by team) leave drills
(`Incident.exercise`) out; the open work's counts and lists keep them, as the team works them.

Durations (MTTA, MTTR) are wall-clock from stored timestamps, time on hold included: the mean of
`responded_at - opened_at` and of `resolved_at - opened_at`, computed by `AVG` in the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Avg, Count, F, Max, Q, QuerySet, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from core.durations import Mean, SecondsBetween, Share, seconds
from incidents import selectors as incident_selectors
from incidents.models import Incident, Page, Priority, Team
from incidents.workflow import OPEN_STATES, State

PRIORITIES = tuple(Priority.values)
URGENT = (Priority.P1, Priority.P2)
# The short lists (P1/P2 open, major incidents) show this many rows; their counts are exact.
LIST_ROWS = 10


def _visible(user) -> QuerySet[Incident]:
    # What the admin lists (its figures link there): a staff member's own confidential report is
    # followed on the portal, not counted here.
    return Incident.objects.seen_internally_by(user)


def _measured(user) -> QuerySet[Incident]:
    # The figures of how the desk performs (MTTA, MTTR, SLA met, the trend, breaches) leave drills
    # out: an exercise is rehearsal, not service. The open work (counts, queues, lists) keeps them.
    return _visible(user).filter(exercise=False)


def _team_scope(team_ids: Iterable[int] | None) -> Q:
    """All the incidents the user may see (None), or those of these teams only."""
    return Q() if team_ids is None else Q(team_id__in=list(team_ids))


# --- the desk's counts: one query over the open incidents ----------------------------------------
def desk_counts(user, *, now: datetime, sla_teams: Iterable[int] | None) -> dict[str, int]:
    """Every count of the open work in one query: assigned to the user; new and unassigned by
    priority; SLA breached (response, resolution), at risk (on the target that matters now:
    response until responded, then resolution) and paused; P1/P2 open and their stakeholder
    updates overdue; major incidents open.

    `sla_teams` narrows the SLA and P1/P2 figures to those teams (a resolver's), None: every
    incident the user may see. It reads the open incidents only (`incident_state_prio_age`), a
    tenth of the table, never the closed history.
    """
    scope = _team_scope(sla_teams)
    awaiting_response = Q(responded_at__isnull=True)
    counts = {
        "mine": Count("pk", filter=Q(assignee=user)),
        "breached_response": Count("pk", filter=scope & incident_selectors.response_breached_q(now)),
        "breached_resolution": Count("pk", filter=scope & incident_selectors.resolution_breached_q(now)),
        "at_risk_response": Count("pk", filter=scope & incident_selectors.sla_at_risk_q(now) & awaiting_response),
        "at_risk_resolution": Count("pk", filter=scope & incident_selectors.sla_at_risk_q(now) & ~awaiting_response),
        "paused": Count("pk", filter=scope & Q(state=State.ON_HOLD)),
        "urgent_update_overdue": Count("pk", filter=scope & Q(priority__in=URGENT, update_due_at__lte=now)),
        "major_open": Count("pk", filter=Q(is_major=True)),
    }
    for priority in PRIORITIES:
        counts[f"new_unassigned_p{priority}"] = Count(
            "pk", filter=Q(state=State.NEW, assignee__isnull=True, priority=priority))
    for priority in URGENT:
        counts[f"open_p{priority}"] = Count("pk", filter=scope & Q(priority=priority))
    return _visible(user).filter(state__in=OPEN_STATES).aggregate(**counts)


def majors_opened_since(user, since: datetime) -> int:
    """Major incidents opened since `since` (today's), open or not (`incident_major`)."""
    return _visible(user).filter(opened_at__gte=since, is_major=True).count()


# --- team queues ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueRow:
    team: Team
    waiting: int
    oldest: Incident | None


def team_queues(user, teams: list[Team]) -> list[QueueRow]:
    """Each team's queue (its unassigned open incidents the user may see: `incidents.selectors.queue`'s
    rows) with how many wait and the one waiting longest, in one query: a window numbers each
    team's waiting incidents oldest first and counts them, and only each team's first is fetched,
    with the few columns shown (`state` too: the state machine reads it when a row is loaded)."""
    if not teams:
        return []
    firsts = (
        _visible(user).open()
        .filter(team__in=teams, assignee__isnull=True)
        .annotate(
            place=Window(RowNumber(), partition_by=[F("team_id")], order_by=[F("opened_at").asc(), F("pk").asc()]),
            waiting=Window(Count("pk"), partition_by=[F("team_id")]),
        )
        .filter(place=1)
        .only("pk", "reference", "summary", "priority", "opened_at", "team_id", "state")
    )
    oldest = {incident.team_id: incident for incident in firsts}
    return [QueueRow(team, oldest[team.pk].waiting if team.pk in oldest else 0, oldest.get(team.pk)) for team in teams]


# --- short lists ----------------------------------------------------------------------------------
def urgent_open(user, *, team_ids: Iterable[int] | None = None, limit: int = LIST_ROWS) -> list[Incident]:
    """Open P1/P2 incidents, the next stakeholder update due first (those with no cadence last),
    then the resolution deadline."""
    return list(
        _visible(user).open().filter(_team_scope(team_ids), priority__in=URGENT)
        .select_related("team", "assignee")
        .order_by(F("update_due_at").asc(nulls_last=True), F("resolve_by").asc(nulls_last=True), "opened_at", "pk")
        [:limit]
    )


def major_incidents(user, *, today: datetime, limit: int = LIST_ROWS) -> list[Incident]:
    """Today's major incidents: those open now and those opened today, the newest first. Two
    bounded reads of the few major incidents (`incident_major`): as one query with an OR, SQLite
    walks every incident newest first looking for them."""
    majors = _visible(user).filter(is_major=True).select_related("team", "assignee").order_by("-opened_at", "-pk")
    found = [*majors.filter(state__in=OPEN_STATES)[:limit],
             *majors.filter(opened_at__gte=today).exclude(state__in=OPEN_STATES)[:limit]]
    return sorted(found, key=lambda i: (i.opened_at, i.pk), reverse=True)[:limit]


# --- pages not acknowledged -------------------------------------------------------------------------
def pending_pages(user) -> dict[str, int]:
    """Pages still waiting for an acknowledgement (not acknowledged, not passed on yet), of
    incidents the user may see: all of them, and those to the user. The `page_waiting` index holds
    exactly these rows. The visibility rule (`visible_to`, as in `of_visible_incidents`) is asked
    about these pages' incidents only: asked about every incident, SQLite lists them all first."""
    pending = Page.objects.filter(acknowledged_at__isnull=True, passed_on_at__isnull=True)
    visible = _visible(user).filter(pk__in=pending.values("incident_id")).values("pk")
    return pending.filter(incident_id__in=visible).aggregate(all=Count("pk"), mine=Count("pk", filter=Q(user=user)))


# --- MTTA, MTTR and SLA met, by priority, over 7 and 30 days ---------------------------------------
WINDOWS = (7, 30)


@dataclass(frozen=True)
class PriorityMetrics:
    """One row of the manager's table: a priority (None for all of them), per window in days."""

    priority: int | None
    mtta: dict[int, Mean]
    mttr: dict[int, Mean]
    sla_met: dict[int, Share]


def window_starts(now: datetime) -> dict[int, datetime]:
    """The start of each window, to the minute: the same moment in the count and in its link."""
    start = now.replace(second=0, microsecond=0)
    return {days: start - timedelta(days=days) for days in WINDOWS}


def response_and_resolution(user, *, starts: dict[int, datetime]) -> list[PriorityMetrics]:
    """MTTA over the incidents opened in each window that have been responded to; MTTR and SLA
    met (resolved by `resolve_by`) over the incidents resolved in each window. Two grouped queries
    (by priority), on `incident_newest` and `incident_resolved`; the "all" row is the weighted
    mean of the priorities' (each mean times its count; the means are to the second)."""
    visible = _measured(user)
    widest = starts[max(WINDOWS)]
    acknowledged = {}
    for days, since in starts.items():
        window = Q(opened_at__gte=since)
        acknowledged[f"mtta_{days}"] = Avg(SecondsBetween("responded_at", "opened_at"), filter=window)
        acknowledged[f"acked_{days}"] = Count("pk", filter=window)
    resolved = {}
    for days, since in starts.items():
        window = Q(resolved_at__gte=since)
        targeted = window & Q(resolve_by__isnull=False)
        resolved[f"mttr_{days}"] = Avg(SecondsBetween("resolved_at", "opened_at"), filter=window)
        resolved[f"resolved_{days}"] = Count("pk", filter=window)
        resolved[f"targeted_{days}"] = Count("pk", filter=targeted)
        resolved[f"met_{days}"] = Count("pk", filter=targeted & Q(resolved_at__lte=F("resolve_by")))
    by_priority: dict[int, dict] = {p: {} for p in PRIORITIES}
    for row in (visible.filter(opened_at__gte=widest, responded_at__isnull=False)
                .values("priority").order_by("priority").annotate(**acknowledged)):
        by_priority.setdefault(row["priority"], {}).update(row)
    for row in (visible.filter(resolved_at__gte=widest)
                .values("priority").order_by("priority").annotate(**resolved)):
        by_priority.setdefault(row["priority"], {}).update(row)

    rows = [_metrics(priority, figures) for priority, figures in sorted(by_priority.items())]
    return [*rows, _overall(rows)]


def _metrics(priority: int | None, f: dict) -> PriorityMetrics:
    return PriorityMetrics(
        priority=priority,
        mtta={d: Mean(seconds(f.get(f"mtta_{d}")), f.get(f"acked_{d}", 0)) for d in WINDOWS},
        mttr={d: Mean(seconds(f.get(f"mttr_{d}")), f.get(f"resolved_{d}", 0)) for d in WINDOWS},
        sla_met={d: Share(f.get(f"met_{d}", 0), f.get(f"targeted_{d}", 0)) for d in WINDOWS},
    )


def _weighted(means: list[Mean]) -> Mean:
    counted = [m for m in means if m.value is not None and m.count]
    total = sum(m.count for m in counted)
    if not total:
        return Mean(None, 0)
    return Mean(sum((m.value * m.count for m in counted), timedelta()) / total, total)


def _overall(rows: list[PriorityMetrics]) -> PriorityMetrics:
    return PriorityMetrics(
        priority=None,
        mtta={d: _weighted([r.mtta[d] for r in rows]) for d in WINDOWS},
        mttr={d: _weighted([r.mttr[d] for r in rows]) for d in WINDOWS},
        sla_met={d: Share(sum(r.sla_met[d].met for r in rows), sum(r.sla_met[d].count for r in rows))
                 for d in WINDOWS},
    )


# --- the charts' series ---------------------------------------------------------------------------
def day_ends(now: datetime, days: int) -> tuple[list[date], list[datetime]]:
    """The last `days` days (the site's time zone) and the moment each is counted at: its end
    (the next midnight), and for today, now."""
    last = timezone.localdate(now)
    day_list = [last - timedelta(days=days - 1 - i) for i in range(days)]
    ends = [timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time())) for day in day_list]
    return day_list, [*ends[:-1], now]


def open_by_priority(user, *, now: datetime, days: int = 30) -> tuple[list[date], dict[int, list[int]]]:
    """How many incidents were open at the end of each of the last `days` days (today: now), by
    priority.

    Open at a moment: opened by then and not resolved, closed or withdrawn by then, from the
    stored timestamps (an incident resolved and reopened counts as open since its opening; the
    timestamps keep only the last resolution). Counted in the database, a conditional count per
    day, in two grouped queries that each read an index: the incidents open now
    (`incident_state_prio_age`), and those that stopped being open in the window
    (`incident_resolved`, and the state index for the withdrawn ones). As one query with an OR,
    SQLite reads the whole table.
    """
    day_list, ends = day_ends(now, days)
    visible = _measured(user)
    still_open = visible.filter(state__in=OPEN_STATES).values("priority").order_by().annotate(
        **{f"d{i}": Count("pk", filter=Q(opened_at__lte=end)) for i, end in enumerate(ends)})
    since = ends[0] - timedelta(days=1)
    ended = (
        visible.filter(Q(resolved_at__gte=since) | Q(state=State.CANCELLED, closed_at__gte=since))
        .exclude(state__in=OPEN_STATES)
        .annotate(ended_at=Coalesce("resolved_at", "closed_at"))
        .values("priority").order_by()
        .annotate(**{f"d{i}": Count("pk", filter=Q(opened_at__lte=end, ended_at__gt=end))
                     for i, end in enumerate(ends)})
    )
    series = {p: [0] * days for p in PRIORITIES}
    for row in [*still_open, *ended]:
        line = series.setdefault(row["priority"], [0] * days)
        for i in range(days):
            line[i] += row[f"d{i}"]
    return day_list, series


@dataclass(frozen=True)
class TeamBreaches:
    team_id: int | None
    team_name: str
    breached: int


def breaches_by_team(user, *, since: datetime, now: datetime) -> list[TeamBreaches]:
    """Incidents opened since `since` whose response or resolution target was breached (the SLA
    filter's "breached"), by team, most first. One grouped query on `incident_newest`: grouped
    by the team's name (unique), as grouping by the incident's `team_id` leads SQLite to walk a
    team-first index over the whole table."""
    rows = (
        _measured(user).filter(incident_selectors.sla_breached_q(now), opened_at__gte=since)
        .values("team__name").order_by()
        .annotate(team_ref=Max("team_id"), breached=Count("pk"))
    )
    found = [TeamBreaches(r["team_ref"], r["team__name"] or "No team", r["breached"]) for r in rows]
    return sorted(found, key=lambda t: (-t.breached, t.team_name))
