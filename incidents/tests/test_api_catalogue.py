"""Teams, categories and services through the API: read-only. Staff list the teams; everyone
signed in lists categories and services, which the portal's report form offers to reporters too."""

from __future__ import annotations

from core.tests.api_support import EVERYONE, STAFF, EndpointContract

from .factories import CategoryFactory, ServiceFactory


class TestTeamContract(EndpointContract):
    list_url = "/api/v1/teams/"
    readers = STAFF
    list_forbidden = frozenset({"reporter", "other_reporter"})

    def make(self, actors):
        return actors.team

class TestCategoryContract(EndpointContract):
    list_url = "/api/v1/categories/"
    readers = EVERYONE

    def make(self, actors):
        return CategoryFactory(name="Network", default_team=actors.team)

class TestServiceContract(EndpointContract):
    list_url = "/api/v1/services/"
    readers = EVERYONE

    def make(self, actors):
        return ServiceFactory(name="VPN")


def test_teams_categories_and_services_are_read_only(actors):
    team = actors.team
    client = actors.client("incident_manager")
    assert client.patch(f"/api/v1/teams/{team.pk}/", {"name": "Renamed"}).status_code == 405
    assert client.post("/api/v1/services/", {"name": "Payroll"}).status_code == 405


def test_teams_are_listed_by_name(actors):
    rows = actors.client("desk_agent").get("/api/v1/teams/").json()["results"]
    assert [row["name"] for row in rows] == ["Network", "Platform", "Service Desk"]
    assert set(rows[0]) == {"id", "name", "slug", "tier", "email"}


def test_a_category_says_whether_its_incidents_are_confidential(actors):
    CategoryFactory(name="Security", default_team=actors.team, confidential=True)
    [row] = actors.client("reporter").get("/api/v1/categories/").json()["results"]
    assert (row["name"], row["confidential"], row["default_team"]) == ("Security", True, actors.team.pk)
