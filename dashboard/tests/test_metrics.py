"""The incident manager's figures: MTTA and MTTR by priority over 7 and 30 days, SLA met, and the
series behind the two charts."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from dashboard import board as boards
from dashboard import selectors
from incidents.workflow import State

from .conftest import NOW, ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def resolved(open_incident):
    """`resolved(priority, days_ago, responded_after, resolved_after, resolve_target)`: a closed
    incident opened `days_ago` days ago, responded to and resolved that long after its opening,
    with its resolution deadline `resolve_target` after the opening (None: no target)."""

    def make(priority: int, days_ago: float, responded_after: timedelta, resolved_after: timedelta,
             resolve_target: timedelta | None = None, **fields):
        opened = ago(days=days_ago)
        return open_incident(
            priority=priority, state=State.CLOSED, opened_at=opened, responded_at=opened + responded_after,
            resolved_at=opened + resolved_after, closed_at=opened + resolved_after,
            resolve_by=opened + resolve_target if resolve_target else None, **fields)

    return make


def metrics(user) -> dict:
    starts = selectors.window_starts(NOW)
    return {row.priority: row for row in selectors.response_and_resolution(user, starts=starts)}


def test_manager_sees_mtta_and_mttr_by_priority_for_7_and_30_days(people, resolved, open_incident):
    minutes, hours = (lambda n: timedelta(minutes=n)), (lambda n: timedelta(hours=n))
    resolved(1, 2, minutes(10), hours(2))
    resolved(1, 3, minutes(20), hours(4))
    resolved(1, 20, minutes(60), hours(9))  # in the 30 days only
    resolved(3, 1, hours(1), hours(30))
    resolved(3, 45, hours(2), hours(3))  # older than both windows
    open_incident(priority=3, opened_at=ago(days=1), responded_at=ago(hours=20), state=State.IN_PROGRESS,
                  assignee=people["resolver"])  # responded, not resolved: MTTA only
    open_incident(priority=3, opened_at=ago(hours=2))  # not responded to: in neither mean

    rows = metrics(people["manager"])
    p1, p3, everything = rows[1], rows[3], rows[None]
    assert (p1.mtta[7].value, p1.mtta[7].count) == (minutes(15), 2)
    assert (p1.mtta[30].value, p1.mtta[30].count) == (minutes(30), 3)
    assert (p1.mttr[7].value, p1.mttr[7].count) == (hours(3), 2)
    assert (p1.mttr[30].value, p1.mttr[30].count) == (hours(5), 3)
    assert (p3.mtta[7].value, p3.mtta[7].count) == (timedelta(hours=2, minutes=30), 2)  # 1 h and 4 h
    assert (p3.mttr[7].value, p3.mttr[7].count) == (hours(30), 1)
    assert rows[2].mtta[30] == selectors.Mean(None, 0)
    # All priorities: the mean over every incident, not the mean of the priorities' means.
    assert everything.mttr[7] == selectors.Mean(hours(12), 3)  # (2 + 4 + 30) / 3
    assert everything.mtta[30].count == 5

    shown = {row.label: [cell.text for cell in row.cells] for row in boards.build(people["manager"]).metrics}
    assert shown["P1 – Critical"][:4] == ["15 min", "30 min", "3 h 00 min", "5 h 00 min"]
    assert shown["P2 – High"][:4] == ["–", "–", "–", "–"]


def test_sla_met_percentage(people, resolved):
    target = timedelta(hours=8)
    resolved(2, 1, timedelta(minutes=5), timedelta(hours=7), target)  # met
    resolved(2, 2, timedelta(minutes=5), timedelta(hours=8), target)  # met, on the dot
    resolved(2, 3, timedelta(minutes=5), timedelta(hours=9), target)  # missed
    resolved(2, 12, timedelta(minutes=5), timedelta(hours=10), target)  # missed, 30 days only
    resolved(2, 4, timedelta(minutes=5), timedelta(hours=1), None)  # no target: not counted

    p2 = metrics(people["manager"])[2]
    assert (p2.sla_met[7].met, p2.sla_met[7].count) == (2, 3)
    assert round(p2.sla_met[7].percent, 1) == 66.7
    assert p2.sla_met[30].percent == 50
    assert metrics(people["manager"])[1].sla_met[7].percent is None
    shown = {row.label: [cell.text for cell in row.cells] for row in boards.build(people["manager"]).metrics}
    assert shown["P2 – High"][4:] == ["67 %", "50 %"]
    assert shown["P1 – Critical"][4:] == ["–", "–"]


def test_mttr_is_wall_clock_with_time_on_hold_included(people, resolved):
    resolved(3, 2, timedelta(minutes=5), timedelta(hours=50), paused_seconds=48 * 3600)
    assert metrics(people["manager"])[3].mttr[7].value == timedelta(hours=50)


def test_metrics_count_only_what_the_viewer_may_see(people, resolved):
    resolved(1, 2, timedelta(minutes=10), timedelta(hours=2), team="security", confidential=True)
    assert metrics(people["manager"])[1].mttr[7].count == 1
    assert metrics(people["resolver"])[1].mttr[7].count == 0


def test_open_by_priority_counts_each_day_what_was_open_at_its_end(people, open_incident):
    open_incident(priority=1, opened_at=ago(days=2, hours=2))  # open since two days ago (08:00)
    open_incident(priority=3, opened_at=ago(days=40))  # open all along
    open_incident(priority=3, state=State.CLOSED, opened_at=ago(days=5), resolved_at=ago(days=3),
                  closed_at=ago(days=1))  # open on days -5 and -4: resolved is no longer open
    open_incident(priority=4, state=State.CANCELLED, opened_at=ago(days=10), closed_at=ago(days=9))
    open_incident(priority=4, state=State.CLOSED, opened_at=ago(days=60), resolved_at=ago(days=50))  # never seen
    open_incident(priority=2, opened_at=ago(hours=1))  # today's point is now

    days, series = selectors.open_by_priority(people["manager"], now=NOW, days=30)
    assert len(days) == 30 and days[-1] == NOW.date() and days[0] == NOW.date() - timedelta(days=29)
    assert series[1][-3:] == [1, 1, 1] and series[1][-4] == 0
    assert series[3][-7:] == [1, 2, 2, 1, 1, 1, 1]
    assert series[4][-11:-8] == [1, 0, 0] and sum(series[4]) == 1
    assert series[2][-2:] == [0, 1]


def test_breaches_by_team_count_incidents_opened_in_the_window(people, open_incident):
    open_incident(team="network", response_breached=True, opened_at=ago(days=3))
    open_incident(team="network", respond_by=ago(minutes=1))
    open_incident(team="platform", resolution_breached=True, state=State.CLOSED, opened_at=ago(days=10),
                  resolved_at=ago(days=9))
    open_incident(team="platform", response_breached=True, opened_at=ago(days=40))  # before the window
    open_incident(team="platform")  # not breached
    found = selectors.breaches_by_team(people["manager"], since=ago(days=30), now=NOW)
    assert [(row.team_name, row.breached) for row in found] == [("Network", 2), ("Platform", 1)]
