"""Every list of the incidents API costs the same number of queries for 1 row and for 50, and as
many as the committed baseline says (core/tests/query_counts.json): a query added per row, or one
added at all, shows up here and in review."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.tests.api_support import assert_constant_queries, count_queries
from incidents import roles, services
from knowledge_base.tests.factories import ArticleFactory

from .factories import CategoryFactory, ServiceFactory, TeamFactory, UserFactory, make_incident

URL = "/api/v1/incidents/"


def queries(client, url: str, params: dict | None = None) -> int:
    count, response = count_queries(lambda: client.get(url, params))
    assert response.status_code == 200, response.content[:500]
    return count


def warm(client, url: str) -> None:
    # The token's last use is written once a minute, not on every request: not a cost of the list.
    assert client.get(url).status_code == 200


def varied_incident(n: int, *, reporter=None, worker=None):
    """An incident with relations of its own (reporter, category, team, service, assignee, a runbook
    on its service or its category), so that a query made per row, not per page, cannot hide behind
    a shared row."""
    team = TeamFactory(name=f"Team {n}", slug=f"team-{n}")
    if worker is not None:
        team.members.add(worker)
    runbook = ArticleFactory(title=f"Runbook {n}", audience="internal")
    category = CategoryFactory(name=f"Category {n}", default_team=team, runbook=None if n % 2 else runbook)
    service = ServiceFactory(name=f"Service {n}", runbook=runbook if n % 2 else None)
    incident = make_incident(reporter=reporter or UserFactory(username=f"reporter{n}", role=roles.REPORTER),
                             category=category, service=service,
                             impact=("high", "medium", "low")[n % 3], urgency="medium")
    if worker is not None and n % 2:
        services.transition(incident=incident, user=worker, name="claim")
    return incident


@pytest.mark.parametrize(("role", "key"), [("desk_agent", "api.incidents.list"),
                                           ("reporter", "api.incidents.list.reporter")])
def test_incident_list_costs_the_same_for_1_and_50_incidents(actors, role, key):
    client = actors.client(role)
    worker = actors["desk_agent"]
    reporter = actors["reporter"] if role == "reporter" else None
    varied_incident(0, reporter=reporter, worker=worker)
    warm(client, URL)
    one = queries(client, URL)
    for n in range(1, 50):
        varied_incident(n, reporter=reporter, worker=worker)
    many = queries(client, URL)
    assert_constant_queries(key, one, many)


def test_a_list_that_mixes_the_staff_and_reporter_shapes_costs_what_one_of_a_single_shape_does(actors):
    """The shape is chosen for each row (a desk agent's own confidential reports come in the
    reporter's) from what the list already knows of the caller: no query for it, per row or at all."""
    agent = actors["desk_agent"]
    client = actors.client("desk_agent")
    varied_incident(0, worker=agent)
    warm(client, URL)
    one = queries(client, URL)
    security = CategoryFactory(name="Security", confidential=True,
                               default_team=TeamFactory(name="Security", slug="security"))
    for n in range(1, 50):
        if n % 2:
            make_incident(reporter=agent, category=security, summary=f"Phishing mail {n}")
        else:
            varied_incident(n, worker=agent)
    shapes = {row["access"] for row in client.get(URL).json()["results"]}
    assert shapes == {"staff", "reporter"}
    assert_constant_queries("api.incidents.list", one, queries(client, URL))


def test_a_filtered_searched_ordered_list_costs_the_same_for_1_and_50(actors):
    client = actors.client("incident_manager")
    params = {"search": "vpn", "state": "new,in_progress", "sla": "at_risk", "ordering": "-priority"}
    varied_incident(0, worker=actors["desk_agent"])
    warm(client, URL)
    one = queries(client, URL, params)
    for n in range(1, 50):
        varied_incident(n, worker=actors["desk_agent"])
    assert_constant_queries("api.incidents.list.filtered", one, queries(client, URL, params))


@pytest.fixture
def incident(actors):
    return make_incident(reporter=actors["reporter"], category=CategoryFactory(name="Network",
                                                                                default_team=actors.team))


def write(incident, actors, n: int) -> None:
    """Replies and work notes (the first a reply, which every reader sees), every other one with a
    file, by several people."""
    authors = [actors["reporter"], actors["team_resolver"], actors["desk_agent"]]
    author = authors[n % 3]
    files = [SimpleUploadedFile(f"trace-{n}.log", b"link down\n")] if n % 2 else []
    public = author == authors[0] or n % 4 in (0, 1)
    services.comment_add(incident=incident, author=author, body=f"Update {n}", public=public, files=files)


@pytest.mark.parametrize(("role", "part", "key"), [
    ("desk_agent", "comments", "api.incidents.comments.list"),
    ("reporter", "comments", "api.incidents.comments.list.reporter"),
    ("desk_agent", "attachments", "api.incidents.attachments.list"),
    ("reporter", "attachments", "api.incidents.attachments.list.reporter"),
    ("desk_agent", "timeline", "api.incidents.timeline.staff"),
    ("reporter", "timeline", "api.incidents.timeline.reporter"),
])
def test_an_incidents_comments_files_and_timeline_cost_the_same_for_1_and_50(actors, incident, role, part, key):
    client = actors.client(role)
    url = f"{URL}{incident.reference}/{part}/"
    write(incident, actors, 1)
    warm(client, url)
    one = queries(client, url)
    for n in range(2, 51):
        write(incident, actors, n)
    many = queries(client, url)
    assert_constant_queries(key, one, many)


@pytest.mark.parametrize(("url", "key", "make"), [
    ("/api/v1/teams/", "api.incidents.teams.list", lambda n: TeamFactory(name=f"Team {n}", slug=f"team-{n}")),
    ("/api/v1/categories/", "api.incidents.categories.list",
     lambda n: CategoryFactory(name=f"Category {n}", default_team=TeamFactory(name=f"Team {n}", slug=f"team-{n}"))),
    ("/api/v1/services/", "api.incidents.services.list", lambda n: ServiceFactory(name=f"Service {n}")),
])
def test_teams_categories_and_services_cost_the_same_for_1_and_50(actors, url, key, make):
    client = actors.client("team_resolver")
    make(0)
    warm(client, url)
    one = queries(client, url)
    for n in range(1, 50):
        make(n)
    assert_constant_queries(key, one, queries(client, url))
