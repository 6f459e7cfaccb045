"""The staff home for one person: which panels their role sees, each figure with the link to the
rows it counts. The numbers come from `selectors` (one query per panel), the links from `links`,
the charts from `charts`.

- everyone on the staff: the open incidents assigned to them, their teams' queues with the oldest
  waiting, the pages waiting for their acknowledgement;
- desk agents: the new and unassigned incidents by priority, and the SLA and P1/P2 figures of
  every incident they may see;
- resolvers: the SLA and P1/P2 figures of their teams' incidents;
- incident managers (and superusers): all of that over every team, the pages to anyone, today's
  major incidents, MTTA/MTTR and SLA met by priority over 7 and 30 days, and two charts.

Not here yet, because the product does not record them: stakeholder updates as their own records
(the SLA clock keeps only the next one due, `update_due_at`, which is what the P1/P2 list shows)
and major-incident records with a commander and roles (`is_major` is a flag on the incident).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.safestring import SafeString

from core.durations import duration_text
from incidents import roles
from incidents.models import Incident, Priority, Team

from . import charts, links, selectors

MANAGER, AGENT, RESOLVER = "manager", "agent", "resolver"
CHART_DAYS = 30


@dataclass(frozen=True)
class Figure:
    """A number and the list of the rows it counts. `alert`: worth looking at when not zero."""

    label: str
    value: int
    url: str
    alert: bool = False


@dataclass(frozen=True)
class QueueLine:
    team: Team
    queue_url: str
    waiting: Figure
    oldest: Incident | None
    oldest_url: str | None


@dataclass(frozen=True)
class IncidentLine:
    incident: Incident
    url: str
    update_overdue: bool


@dataclass(frozen=True)
class MetricCell:
    text: str
    count: int
    url: str


@dataclass(frozen=True)
class MetricRow:
    label: str
    cells: list[MetricCell]  # MTTA, MTTR, SLA met; each for 7 then 30 days


@dataclass(frozen=True)
class Chart:
    title: str
    svg: SafeString


@dataclass
class Board:
    role: str
    now: datetime
    mine: Figure | None = None
    queues: list[QueueLine] = field(default_factory=list)
    new_unassigned: list[Figure] = field(default_factory=list)
    sla_scope: str = ""
    sla: list[Figure] = field(default_factory=list)
    urgent: list[Figure] = field(default_factory=list)
    urgent_rows: list[IncidentLine] = field(default_factory=list)
    pages: list[Figure] = field(default_factory=list)
    major: list[Figure] = field(default_factory=list)
    major_rows: list[IncidentLine] = field(default_factory=list)
    metrics: list[MetricRow] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


def role_of(user) -> str:
    """The widest role: a manager's view (superusers too), an agent's, a resolver's, or none."""
    if roles.is_incident_manager(user):
        return MANAGER
    if roles.is_desk_agent(user):
        return AGENT
    if roles.is_resolver(user):
        return RESOLVER
    return ""


def start_of_today(now: datetime) -> datetime:
    """Midnight of today in the site's time zone."""
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def build(user, *, now: datetime | None = None) -> Board:
    """The staff home of `user` at `now`. A user with no staff role gets an empty board."""
    now = now or timezone.now()
    role = role_of(user)
    board = Board(role=role, now=now)
    if not role:
        return board
    today = start_of_today(now)
    own_teams = [] if role == MANAGER else sorted(roles.team_ids(user))
    # A resolver's SLA and P1/P2 figures are their teams'; agents and managers look at everything.
    sla_teams = own_teams if role == RESOLVER else None
    team_filter = {"assigned": "my_teams"} if role == RESOLVER else {}
    counts = selectors.desk_counts(user, now=now, sla_teams=sla_teams)

    board.mine = Figure("open incidents assigned to you", counts["mine"], links.open_incidents(assigned="me"))
    teams = list(Team.objects.all()) if role == MANAGER else list(Team.objects.filter(pk__in=own_teams))
    board.queues = [_queue_line(row) for row in selectors.team_queues(user, teams)]
    if role in (MANAGER, AGENT):
        board.new_unassigned = [
            Figure(f"P{p}", counts[f"new_unassigned_p{p}"],
                   links.incidents(state__exact="new", assigned="none", priority__exact=p), alert=p <= 2)
            for p in selectors.PRIORITIES
        ]
    board.sla_scope = "your teams' open incidents" if role == RESOLVER else "open incidents"
    board.sla = [
        Figure("Response breached", counts["breached_response"],
               links.open_incidents(sla="response_breached", **team_filter), alert=True),
        Figure("Resolution breached", counts["breached_resolution"],
               links.open_incidents(sla="resolution_breached", **team_filter), alert=True),
        Figure("Response at risk", counts["at_risk_response"],
               links.incidents(sla="at_risk", responded_at__isnull="1", **team_filter)),
        Figure("Resolution at risk", counts["at_risk_resolution"],
               links.incidents(sla="at_risk", responded_at__isnull="0", **team_filter)),
        Figure("Clock paused (on hold)", counts["paused"], links.incidents(sla="paused", **team_filter)),
    ]
    board.urgent = [
        *(Figure(f"P{p} open", counts[f"open_p{p}"], links.open_incidents(priority__exact=p, **team_filter),
                 alert=True) for p in selectors.URGENT),
        Figure("Stakeholder update overdue", counts["urgent_update_overdue"],
               links.open_incidents(priority__in=list(selectors.URGENT), update_due_at__lte=now, **team_filter),
               alert=True),
    ]
    board.urgent_rows = [_incident_line(i, now) for i in selectors.urgent_open(user, team_ids=sla_teams)]
    pages = selectors.pending_pages(user)
    board.pages = [Figure("To you", pages["mine"], links.pages(user_id=user.pk), alert=True)]
    if role in (MANAGER, AGENT):
        board.pages.append(Figure("To anyone", pages["all"], links.pages()))
    if role == MANAGER:
        _manager_panels(board, user, counts, now=now, today=today)
    return board


def _manager_panels(board: Board, user, counts: dict[str, int], *, now: datetime, today: datetime) -> None:
    board.major = [
        Figure("Open", counts["major_open"], links.open_incidents(is_major__exact="1"), alert=True),
        Figure("Opened today", selectors.majors_opened_since(user, today),
               links.incidents(is_major__exact="1", opened_at__gte=today)),
    ]
    board.major_rows = [_incident_line(i, now) for i in selectors.major_incidents(user, today=today)]
    starts = selectors.window_starts(now)
    board.metrics = [_metric_row(row, starts) for row in selectors.response_and_resolution(user, starts=starts)]

    days, series = selectors.open_by_priority(user, now=now, days=CHART_DAYS)
    title = f"Open incidents by priority, last {CHART_DAYS} days"
    board.charts.append(Chart(title, charts.line_chart(
        title=title, days=days,
        series=[charts.Series(f"P{p}", f"p{p}", values, links.open_incidents(priority__exact=p))
                for p, values in sorted(series.items())],
    )))
    since = today - timedelta(days=CHART_DAYS - 1)
    title = f"SLA breaches by team, incidents opened in the last {CHART_DAYS} days"
    board.charts.append(Chart(title, charts.bar_chart(
        title=title,
        bars=[charts.Bar(row.team_name, row.breached,
                         links.incidents(sla="breached", opened_at__gte=since,
                                         **({"team__id__exact": row.team_id} if row.team_id else
                                            {"team__isnull": "1"})))
              for row in selectors.breaches_by_team(user, since=since, now=now)],
    )))


def _queue_line(row: selectors.QueueRow) -> QueueLine:
    waiting = Figure("waiting", row.waiting, links.open_incidents(team__id__exact=row.team.pk, assigned="none"))
    return QueueLine(row.team, links.queue(row.team.slug), waiting, row.oldest,
                     links.incident(row.oldest.pk) if row.oldest else None)


def _incident_line(incident: Incident, now: datetime) -> IncidentLine:
    overdue = incident.update_due_at is not None and incident.update_due_at <= now
    return IncidentLine(incident, links.incident(incident.pk), overdue)


def _metric_row(row: selectors.PriorityMetrics, starts: dict[int, datetime]) -> MetricRow:
    priority = {"priority__exact": row.priority} if row.priority else {}
    label = Priority(row.priority).label if row.priority else "All priorities"
    cells = []
    for days in selectors.WINDOWS:
        mean = row.mtta[days]
        cells.append(MetricCell(duration_text(mean.value), mean.count,
                                links.incidents(opened_at__gte=starts[days], responded_at__isnull="0", **priority)))
    for days in selectors.WINDOWS:
        mean = row.mttr[days]
        cells.append(MetricCell(duration_text(mean.value), mean.count,
                                links.incidents(resolved_at__gte=starts[days], **priority)))
    for days in selectors.WINDOWS:
        share = row.sla_met[days]
        text = "–" if share.percent is None else f"{share.percent:.0f} %"
        cells.append(MetricCell(text, share.count,
                                links.incidents(resolved_at__gte=starts[days], resolve_by__isnull="0", **priority)))
    return MetricRow(label, cells)
