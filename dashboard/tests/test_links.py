"""Every figure on the staff home links to a list that shows exactly the rows it counts: the test
follows each link, as the person looking at the figure, and counts what the list shows."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest
import time_machine

from dashboard import board as boards
from incidents.models import Escalation, Page
from incidents.workflow import State

from .conftest import NOW, ago, client_for, later

pytestmark = pytest.mark.django_db
CHART_LINK = re.compile(r'<a href="([^"]+)"><title>[^<]*: (\d+)</title>')
LEGEND_LINK = re.compile(r'<a href="([^"]+)"><rect class="key [^"]+"[^>]*/><text class="legend"[^>]*>P\d (\d+)</text>')


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def desk(people, open_incident, categories):
    """A desk with some of everything the figures count, across teams, one confidential."""
    nick, paula = people["resolver"], people["other_resolver"]
    working = {"state": State.IN_PROGRESS, "responded_at": ago(hours=2)}
    open_incident(priority=1, respond_by=ago(minutes=2), opened_at=ago(minutes=30), update_due_at=ago(minutes=1))
    open_incident(priority=2, assignee=nick, response_breached=True, resolve_by=ago(minutes=1),
                  update_due_at=later(minutes=10), **working)
    open_incident(priority=3, assignee=nick, at_risk_from=ago(minutes=1), resolve_by=later(hours=1), **working)
    for minutes in (3, 4):  # two at risk on the response, one on the resolution: the links must not be swapped
        open_incident(priority=3, respond_by=later(minutes=5), at_risk_from=ago(minutes=minutes), opened_at=ago(hours=3))
    open_incident(team="platform", priority=2, assignee=paula, state=State.ON_HOLD, clock_paused_at=ago(hours=1),
                  responded_at=ago(hours=3))
    open_incident(team="platform", priority=4, opened_at=ago(days=2))
    open_incident(team="security", priority=1, confidential=True, respond_by=ago(minutes=9), is_major=True)
    open_incident(priority=1, is_major=True, state=State.CLOSED, opened_at=ago(hours=5),
                  responded_at=ago(hours=4, minutes=50), resolved_at=ago(hours=2), resolve_by=ago(hours=1),
                  closed_at=ago(hours=1))
    for days, priority, late in ((2, 2, False), (5, 3, True), (12, 3, False), (25, 4, True), (40, 4, False)):
        resolved = ago(days=days)
        open_incident(team="platform" if late else "network", priority=priority, state=State.CLOSED,
                      opened_at=resolved.replace(hour=6),
                      responded_at=resolved.replace(hour=6, minute=20), resolved_at=resolved,
                      resolve_by=resolved.replace(hour=8) if late else resolved.replace(hour=18),
                      resolution_breached=late, closed_at=resolved)
    open_incident(state=State.CANCELLED, opened_at=ago(days=3), closed_at=ago(days=2))
    open_incident(priority=1, is_major=True, assignee=nick, opened_at=ago(days=3), **working)  # open since Friday
    for user in (nick, paula):
        incident = open_incident(priority=1, team="network" if user == nick else "platform")
        escalation = Escalation.objects.create(incident=incident, key="page", fired_at=NOW, due_at=NOW)
        Page.objects.create(incident=incident, escalation=escalation, user=user, created_at=NOW,
                            escalate_at=later(minutes=10))
    return people


def figures_of(board: boards.Board) -> list[tuple[str, int, str]]:
    """Every (what, number, link) on the board, the charts' bars and legend included."""
    found = [("mine", board.mine.value, board.mine.url)]
    found += [(f"queue {line.team}", line.waiting.value, line.waiting.url) for line in board.queues]
    for f in board.new_unassigned + board.sla + board.urgent + board.pages + board.major:
        found.append((f.label, f.value, f.url))
    for row in board.metrics:
        found += [(f"{row.label} #{n}", cell.count, cell.url) for n, cell in enumerate(row.cells)]
    for chart in board.charts:
        found += [("chart", int(n), html.unescape(url)) for url, n in CHART_LINK.findall(chart.svg)]
        found += [("legend", int(n), html.unescape(url)) for url, n in LEGEND_LINK.findall(chart.svg)]
    return found


def rows_shown(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    changelist = response.context["cl"]
    # A parameter the changelist cannot use sends it to ?e=1; a filter it ignores would show everything.
    assert "e" not in changelist.params, url
    return changelist.result_count


@pytest.mark.parametrize("role", ["manager", "agent", "resolver", "security_resolver"])
def test_every_figure_links_to_the_rows_it_counts(desk, role):
    user = desk[role]
    client = client_for(user)
    board = boards.build(user)
    checked = figures_of(board)
    assert len(checked) >= {"manager": 40, "agent": 14, "resolver": 10, "security_resolver": 10}[role]
    assert any(value for _, value, _ in checked)
    for what, value, url in checked:
        assert urlsplit(url).path.startswith("/admin/incidents/"), (what, url)
        assert rows_shown(client, url) == value, (what, url)


def test_breached_count_links_to_the_breached_incidents(desk):
    client = client_for(desk["manager"])
    figures = {f.label: f for f in boards.build(desk["manager"]).sla}
    shown = client.get(figures["Response breached"].url).context["cl"].result_list
    assert sorted(i.priority for i in shown) == [1, 1, 2]  # the unanswered P1s (one confidential) and the late P2
    shown = client.get(figures["Resolution breached"].url).context["cl"].result_list
    assert [i.priority for i in shown] == [2]



def test_the_link_check_sees_a_figure_that_disagrees_with_its_list(desk, monkeypatch):
    """The check above can fail: a count one off from its list is caught."""
    from dashboard import selectors

    counts = selectors.desk_counts
    monkeypatch.setattr(selectors, "desk_counts", lambda *a, **k: {**counts(*a, **k), "paused": 2})
    client = client_for(desk["manager"])
    paused = next(f for f in boards.build(desk["manager"]).sla if f.label.startswith("Clock paused"))
    assert rows_shown(client, paused.url) == 1 != paused.value
