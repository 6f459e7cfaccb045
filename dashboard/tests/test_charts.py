"""The charts are SVG written on the server: escaped, titled, and made only of shapes and links."""

from __future__ import annotations

from datetime import date, timedelta
from xml.etree import ElementTree

import pytest
import time_machine

from dashboard import board as boards
from dashboard import charts
from incidents.tests.factories import TeamFactory

from .conftest import INDEX, NOW, ago, client_for

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # well-formed XML, or this raises


def test_chart_svg_escapes_team_names():
    svg = charts.bar_chart(title="Breaches <by> team", bars=[
        charts.Bar('<script>alert("x")</script>', 3, "/admin/?a=1&b=2"),
        charts.Bar("Ops & Co", 1, "/admin/"),
    ])
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "Ops &amp; Co" in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == "Breaches <by> team"
    assert [a.get("href") for a in root.iter(f"{SVG}a")] == ["/admin/?a=1&b=2", "/admin/"]
    names = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "name"]
    assert names == ['<script>alert("x")</s…', "Ops & Co"]  # a long name is cut; its tooltip is whole
    assert [a.find(f"{SVG}title").text for a in root.iter(f"{SVG}a")] == ['<script>alert("x")</script>: 3',
                                                                          "Ops & Co: 1"]


def test_bars_are_as_long_as_their_values_and_say_them():
    root = parse(charts.bar_chart(title="t", bars=[charts.Bar("A", 10, "/a"), charts.Bar("B", 5, "/b")]))
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(2 * widths[1])
    assert root.find(f"{SVG}desc").text == "A: 10; B: 5"


def test_line_chart_has_a_line_per_priority_and_its_last_value_in_the_legend():
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(30)]
    series = [charts.Series("P1", "p1", [0] * 29 + [3], "/p1"), charts.Series("P4", "p4", list(range(30)), "/p4")]
    root = parse(charts.line_chart(title="Open", days=days, series=series))
    lines = list(root.iter(f"{SVG}polyline"))
    assert [line.get("class") for line in lines] == ["line p1", "line p4"]
    assert all(len(line.get("points").split()) == 30 for line in lines)
    legend = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "legend"]
    assert legend == ["P1 3", "P4 29"]
    assert "now: P1 3, P4 29" in root.find(f"{SVG}desc").text
    # The axis goes up to a round number at least the highest value.
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "axis"] == ["0", "25", "50"]


def test_an_empty_bar_chart_says_so():
    root = parse(charts.bar_chart(title="Breaches", bars=[]))
    assert root.find(f"{SVG}desc").text == "None."


@pytest.mark.django_db
def test_the_managers_charts_show_team_names_escaped_on_the_page(people, open_incident):
    team = TeamFactory(name="<b>Ops</b> & Co", slug="ops")
    with time_machine.travel(NOW, tick=False):
        incident = open_incident(team="network", response_breached=True, opened_at=ago(days=1))
        type(incident).objects.filter(pk=incident.pk).update(team=team)
        page = client_for(people["manager"]).get(INDEX).content.decode()
        board = boards.build(people["manager"])
    assert "&lt;b&gt;Ops&lt;/b&gt; &amp; Co" in page and "<b>Ops</b>" not in page
    assert [chart.title for chart in board.charts] == [
        "Open incidents by priority, last 30 days", "SLA breaches by team, incidents opened in the last 30 days"]
    for chart in board.charts:
        parse(str(chart.svg))
