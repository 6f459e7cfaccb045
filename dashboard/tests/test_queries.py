"""The staff home costs the same number of queries with 1 incident as with 50, for every role, and
as many as the committed baseline says (`core/tests/query_counts.json`)."""

from __future__ import annotations

import itertools

import pytest
import time_machine

from core.tests.api_support import assert_constant_queries, count_queries
from incidents.models import Escalation, Page
from incidents.workflow import State

from .conftest import INDEX, NOW, ago, client_for, later

pytestmark = pytest.mark.django_db
STATES = [State.NEW, State.TRIAGED, State.IN_PROGRESS, State.ON_HOLD, State.RESOLVED, State.CLOSED, State.CANCELLED]


def fill(open_incident, people, n: int) -> None:
    """n incidents of every kind the figures count: states, priorities, teams, breaches, majors,
    resolved ones in both windows, pages."""
    shapes = itertools.cycle(itertools.product(STATES, (1, 2, 3, 4), ("network", "platform", "security", "desk")))
    for i in range(n):
        state, priority, team = next(shapes)
        done = state in (State.RESOLVED, State.CLOSED)
        incident = open_incident(
            team=team, priority=priority, state=state, confidential=team == "security", is_major=i % 5 == 0,
            opened_at=ago(days=i % 40, hours=3), responded_at=ago(days=i % 40, hours=2),
            resolved_at=ago(days=i % 40, hours=1) if done else None, resolve_by=ago(days=i % 40),
            respond_by=ago(minutes=i), at_risk_from=ago(minutes=i), update_due_at=later(minutes=i),
            assignee=people["resolver"] if state == State.IN_PROGRESS else None,
            response_breached=i % 3 == 0,
        )
        if i % 4 == 0:
            escalation = Escalation.objects.create(incident=incident, key="page", fired_at=NOW, due_at=NOW)
            Page.objects.create(incident=incident, escalation=escalation, user=people["resolver"], created_at=NOW,
                                escalate_at=later(minutes=10))


@pytest.mark.parametrize("role", ["manager", "agent", "resolver"])
def test_the_dashboard_takes_the_same_queries_for_1_incident_and_for_50(role, people, open_incident):
    with time_machine.travel(NOW, tick=False):
        client = client_for(people[role])
        fill(open_incident, people, 1)
        client.get(INDEX)  # the session and the user's roles, read once like any first page
        one, response = count_queries(lambda: client.get(INDEX))
        assert response.status_code == 200
        fill(open_incident, people, 49)
        many, response = count_queries(lambda: client.get(INDEX))
        assert response.status_code == 200
    assert_constant_queries(f"dashboard.index.{role}", one, many)
