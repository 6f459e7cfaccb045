"""The staff home is the admin's index, and each role is shown its own work there."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from dashboard import board as boards
from incidents.workflow import State

from .conftest import INDEX, NOW, ago, client_for, later

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def panels(response) -> set[str]:
    return {p for p in ("desk-mine", "desk-queues", "desk-new", "desk-sla", "desk-urgent", "desk-major",
                        "desk-metrics", "desk-charts") if f'id="{p}"' in response.content.decode()}


def test_a_reporter_is_not_shown_the_dashboard(people):
    response = client_for(people["reporter"]).get(INDEX)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_admin_index_is_the_staff_home_and_still_lists_the_models(people):
    response = client_for(people["agent"]).get(INDEX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="staff-home"' in html and "dashboard/dashboard.css" in html
    # The admin's own list of models, folded below the figures.
    assert '<details class="module app-index">' in html
    assert reverse("admin:incidents_incident_changelist") in html


def test_the_dashboard_has_no_inline_script_or_style(people, open_incident):
    open_incident(priority=1, respond_by=ago(minutes=1))
    html = client_for(people["manager"]).get(INDEX).content.decode()
    board = html[html.index('id="staff-home"'):html.index('class="module app-index"')]
    assert "<script" not in board and "style=" not in board and "<style" not in board
    assert board.count("<svg") == 2


def test_each_role_sees_its_panels(people):
    assert panels(client_for(people["resolver"]).get(INDEX)) == {"desk-mine", "desk-queues", "desk-sla",
                                                                  "desk-urgent"}
    assert panels(client_for(people["agent"]).get(INDEX)) == {"desk-mine", "desk-queues", "desk-new", "desk-sla",
                                                               "desk-urgent"}
    everything = {"desk-mine", "desk-queues", "desk-new", "desk-sla", "desk-urgent", "desk-major", "desk-metrics",
                  "desk-charts"}
    assert panels(client_for(people["manager"]).get(INDEX)) == everything


def test_a_superuser_sees_the_managers_view(db):
    from incidents.tests.factories import UserFactory

    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert boards.build(root).role == boards.MANAGER


def test_staff_without_a_role_see_only_the_models(db):
    from incidents.tests.factories import UserFactory

    clerk = UserFactory(username="clerk", is_staff=True)
    html = client_for(clerk).get(INDEX).content.decode()
    assert 'id="staff-home"' not in html
    assert '<details class="module app-index" open>' in html


def test_assigned_to_me_counts_my_open_incidents(people, open_incident):
    nick = people["resolver"]
    open_incident(state=State.IN_PROGRESS, assignee=nick)
    open_incident(state=State.ON_HOLD, assignee=nick)
    open_incident(state=State.RESOLVED, assignee=nick, resolved_at=ago(hours=1))
    open_incident(state=State.IN_PROGRESS, assignee=people["other_resolver"], team="platform")
    assert boards.build(nick).mine.value == 2


def test_resolver_sees_their_teams_queue_and_its_oldest_waiting_incident(people, open_incident):
    open_incident(team="network", priority=1, opened_at=ago(hours=2))
    oldest = open_incident(team="network", priority=4, opened_at=ago(days=3))
    open_incident(team="network", state=State.IN_PROGRESS, assignee=people["resolver"], opened_at=ago(days=9))
    open_incident(team="network", state=State.CLOSED, opened_at=ago(days=20))
    open_incident(team="platform", opened_at=ago(days=30))

    board = boards.build(people["resolver"])
    assert [(line.team.name, line.waiting.value, line.oldest.reference) for line in board.queues] == [
        ("Network", 2, oldest.reference)]
    html = client_for(people["resolver"]).get(INDEX).content.decode()
    assert f'href="/admin/incidents/incident/{oldest.pk}/change/">{oldest.reference}</a>, opened 3\xa0days ago' in html
    assert 'href="/admin/incidents/incident/queue/?team=network"' in html


def test_a_manager_sees_every_teams_queue(people, open_incident):
    open_incident(team="platform")
    queues = {line.team.name: line.waiting.value for line in boards.build(people["manager"]).queues}
    assert queues == {"Service Desk": 0, "Network": 0, "Platform": 1, "Security": 0}


def test_agent_sees_new_and_unassigned_by_priority(people, open_incident):
    for priority in (1, 1, 3):
        open_incident(priority=priority)
    open_incident(priority=1, state=State.TRIAGED)  # triaged: no longer new
    open_incident(priority=2, assignee=people["resolver"])  # new, but someone has it
    board = boards.build(people["agent"])
    assert [(f.label, f.value) for f in board.new_unassigned] == [("P1", 2), ("P2", 0), ("P3", 1), ("P4", 0)]


def test_resolver_sees_breaches_of_their_teams_only(people, open_incident):
    open_incident(team="network", respond_by=ago(minutes=1))
    open_incident(team="platform", respond_by=ago(minutes=1))
    by_label = {f.label: f.value for f in boards.build(people["resolver"]).sla}
    assert by_label["Response breached"] == 1
    assert {f.label: f.value for f in boards.build(people["agent"]).sla}["Response breached"] == 2


def test_breaches_at_risk_and_paused_are_told_apart(people, open_incident):
    open_incident(respond_by=ago(minutes=1))  # response overdue, not swept yet
    open_incident(response_breached=True, responded_at=ago(hours=1), state=State.IN_PROGRESS,
                  assignee=people["resolver"])  # responded late: a response breach, resolution fine
    open_incident(responded_at=ago(hours=5), resolve_by=ago(minutes=3), state=State.IN_PROGRESS,
                  assignee=people["resolver"])
    open_incident(respond_by=later(minutes=2), at_risk_from=ago(minutes=1))  # response at risk
    open_incident(responded_at=ago(hours=1), resolve_by=later(hours=1), at_risk_from=ago(minutes=5),
                  state=State.IN_PROGRESS, assignee=people["resolver"])  # resolution at risk
    open_incident(state=State.ON_HOLD, clock_paused_at=ago(hours=1), resolve_by=ago(hours=1),
                  assignee=people["resolver"])  # paused: the passed deadline does not count
    open_incident(state=State.CLOSED, resolution_breached=True, resolved_at=ago(days=1))  # not open
    by_label = {f.label: f.value for f in boards.build(people["manager"]).sla}
    assert by_label == {"Response breached": 2, "Resolution breached": 1, "Response at risk": 1,
                        "Resolution at risk": 1, "Clock paused (on hold)": 1}


def test_p1_and_p2_open_are_listed_by_their_next_stakeholder_update(people, open_incident):
    later_update = open_incident(priority=1, update_due_at=later(minutes=40))
    overdue = open_incident(priority=2, update_due_at=ago(minutes=5))
    no_cadence = open_incident(priority=2)
    open_incident(priority=3, update_due_at=ago(hours=1))
    open_incident(priority=1, state=State.RESOLVED, resolved_at=ago(minutes=1))

    board = boards.build(people["agent"])
    assert [line.incident for line in board.urgent_rows] == [overdue, later_update, no_cadence]
    assert [line.update_overdue for line in board.urgent_rows] == [True, False, False]
    assert [(f.label, f.value) for f in board.urgent] == [("P1 open", 1), ("P2 open", 2),
                                                          ("Stakeholder update overdue", 1)]


def test_manager_sees_todays_major_incidents(people, open_incident):
    ongoing = open_incident(priority=1, is_major=True, opened_at=ago(days=2))
    over_already = open_incident(priority=1, is_major=True, state=State.CLOSED, opened_at=ago(hours=3),
                                 resolved_at=ago(hours=1))
    open_incident(priority=1, is_major=True, state=State.CLOSED, opened_at=ago(days=3), resolved_at=ago(days=2))
    open_incident(priority=1, opened_at=ago(hours=1))  # not major
    board = boards.build(people["manager"])
    assert [line.incident for line in board.major_rows] == [over_already, ongoing]
    assert [(f.label, f.value) for f in board.major] == [("Open", 1), ("Opened today", 1)]


def test_pages_not_acknowledged_to_me_and_to_anyone(people, open_incident):
    from incidents.models import Escalation, Page

    def page(user, **fields):
        incident = open_incident(priority=1)
        escalation = Escalation.objects.create(incident=incident, key="page", fired_at=NOW, due_at=NOW)
        return Page.objects.create(incident=incident, escalation=escalation, user=user, created_at=NOW,
                                   escalate_at=later(minutes=10), **fields)

    page(people["resolver"])
    page(people["resolver"], acknowledged_at=NOW)
    page(people["resolver"], passed_on_at=NOW)
    page(people["other_resolver"])
    assert [(f.label, f.value) for f in boards.build(people["resolver"]).pages] == [("To you", 1)]
    assert [(f.label, f.value) for f in boards.build(people["manager"]).pages] == [("To you", 0), ("To anyone", 2)]


def test_confidential_incident_is_not_counted_for_an_outsider(people, open_incident, categories):
    secret = open_incident(team="security", priority=1, confidential=True, respond_by=ago(minutes=1),
                           is_major=True, update_due_at=ago(minutes=1))
    outsiders = [people["agent"], people["resolver"]]
    insiders = [people["security_resolver"], people["manager"]]

    def figures(user) -> dict[str, int]:
        board = boards.build(user)
        shown = board.new_unassigned + board.sla + board.urgent + board.major
        return {f.label: f.value for f in shown if f.value}

    for outsider in outsiders:
        board = boards.build(outsider)
        assert figures(outsider) == {}, outsider
        assert secret not in [line.incident for line in board.urgent_rows]
        assert all(line.oldest != secret for line in board.queues)
    for insider in insiders:
        assert figures(insider)["Response breached"] == 1, insider
        assert secret in [line.incident for line in boards.build(insider).urgent_rows]
    # The manager's charts do not show it to an outsider either: the manager sees it, by team.
    assert "Security" in boards.build(people["manager"]).charts[1].svg
    assert "Security" not in client_for(people["agent"]).get(INDEX).content.decode()


def test_a_resolver_in_no_team_sees_no_queue_and_no_team_figures(people, open_incident):
    from incidents.tests.factories import UserFactory

    loner = UserFactory(username="lone", role="Resolver")
    open_incident(team="network", respond_by=ago(minutes=1))
    response = client_for(loner).get(INDEX)
    assert response.status_code == 200
    board = boards.build(loner)
    assert board.queues == [] and all(f.value == 0 for f in board.sla + board.urgent)
    assert "You are not in a team" in response.content.decode()
