"""What every app's API tests share, NetBox-style: one declarative base (`EndpointContract`) that
says what an endpoint is and who may do what, so that permissions are tested the same way on every
endpoint; clients that authenticate with real API tokens; the error shape; and the committed
baseline of list query counts (`query_counts.json` beside this file).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest

# The roles every contract is checked against. `team_resolver` is in the team the contract's
# object belongs to (when it has one); `other_resolver` is not.
ROLES = ("anonymous", "reporter", "other_reporter", "desk_agent", "team_resolver", "other_resolver",
         "incident_manager")
STAFF = frozenset({"desk_agent", "team_resolver", "other_resolver", "incident_manager"})
EVERYONE = frozenset(ROLES) - {"anonymous"}

BASELINE_FILE = Path(__file__).with_name("query_counts.json")
UPDATE_BASELINE = os.environ.get("ITSM_UPDATE_QUERY_COUNTS") == "1"


@dataclass
class Actors:
    """One user per role, and the teams the contract's objects belong to."""

    users: dict[str, Any]
    team: Any
    other_team: Any
    clients: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, role: str):
        return self.users.get(role)

    def client(self, role: str):
        """An API client for `role`, authenticated with a real API token (none for anonymous)."""
        if role not in self.clients:
            self.clients[role] = token_client(self.users.get(role))
        return self.clients[role]


def token_client(user=None):
    from rest_framework.test import APIClient

    from tokens import services as tokens

    client = APIClient()
    if user is not None:
        _, key = tokens.issue(user=user, name="tests")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def make_actors() -> Actors:
    from incidents import roles
    from incidents.tests.factories import TeamFactory, UserFactory

    team = TeamFactory(name="Network", slug="network", tier=2)
    other_team = TeamFactory(name="Platform", slug="platform", tier=3)
    desk = TeamFactory(name="Service Desk", slug="service-desk", tier=1)
    users = {
        "reporter": UserFactory(username="rita", role=roles.REPORTER),
        "other_reporter": UserFactory(username="oscar", role=roles.REPORTER),
        "desk_agent": UserFactory(username="dana", role=roles.DESK_AGENT, team=desk),
        "team_resolver": UserFactory(username="nick", role=roles.RESOLVER, team=team),
        "other_resolver": UserFactory(username="paula", role=roles.RESOLVER, team=other_team),
        "incident_manager": UserFactory(username="ivan", role=roles.INCIDENT_MANAGER),
    }
    return Actors(users=users, team=team, other_team=other_team)


@pytest.fixture
def actors(db) -> Actors:
    return make_actors()


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is an error of the one documented shape (`core.api.errors`)."""
    assert response.status_code == status, (response.status_code, getattr(response, "data", response.content[:500]))
    body = response.json()
    assert body["status"] == status and isinstance(body["detail"], str) and body["detail"], body
    assert isinstance(body["code"], str), body
    if code is not None:
        assert body["code"] == code, body
    return body


def result_ids(response) -> list:
    assert response.status_code == 200, (response.status_code, response.content[:500])
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    return [row.get("id") for row in rows]


class EndpointContract:
    """Subclass once per endpoint; the tests below run for every role in `ROLES`.

    Say what the endpoint is (`list_url`, `make`, `detail_url`) and who may do what:
    - `readers`: roles that see the object made by `make` (in the list and by its detail URL);
      every other signed-in role gets a list without it and 404 for its detail (no existence leak);
    - `creators` / `updaters`: roles that may POST `create_data()` / PATCH `update_data()`. A reader
      who may not write gets 403; someone who may not see the object, 404.
    Leave `create_data`/`update_data` as None for an endpoint that does not take them (405).
    """

    list_url: ClassVar[str]
    readers: ClassVar[frozenset[str]] = frozenset()
    creators: ClassVar[frozenset[str]] = frozenset()
    updaters: ClassVar[frozenset[str]] = frozenset()
    # Roles refused the whole endpoint (403 on the list) rather than shown a narrower list.
    list_forbidden: ClassVar[frozenset[str]] = frozenset()
    # Roles for whom the list itself does not exist (404): the rows of an object they may not see
    # (an incident's comments), listed under that object's URL.
    list_not_found: ClassVar[frozenset[str]] = frozenset()
    # How `create_data` is sent: "multipart" for an endpoint that takes files.
    create_format: ClassVar[str] = "json"

    def make(self, actors: Actors):
        raise NotImplementedError

    def detail_url(self, obj) -> str:
        return f"{self.list_url}{obj.pk}/"

    def create_data(self, actors: Actors) -> dict | None:
        return None

    def update_data(self, actors: Actors, obj) -> dict | None:
        return None

    def list_rows(self, actors: Actors, role: str):
        return actors.client(role).get(self.list_url)

    @pytest.mark.parametrize("role", ROLES)
    def test_list_shows_only_what_the_role_may_see(self, role, actors):
        obj = self.make(actors)
        response = self.list_rows(actors, role)
        if role == "anonymous":
            assert_error(response, 401)
        elif role in self.list_forbidden:
            assert_error(response, 403)
        elif role in self.list_not_found:
            assert_error(response, 404, "not_found")
        elif role in self.readers:
            assert obj.pk in result_ids(response)
        else:
            assert obj.pk not in result_ids(response)

    @pytest.mark.parametrize("role", ROLES)
    def test_retrieve_answers_404_to_who_may_not_see(self, role, actors):
        obj = self.make(actors)
        response = actors.client(role).get(self.detail_url(obj))
        if role == "anonymous":
            assert_error(response, 401)
        elif role in self.readers:
            assert response.status_code == 200, response.content[:500]
            assert response.json()["id"] == obj.pk
        elif role in self.list_forbidden:
            assert response.status_code in (403, 404)
        else:
            assert_error(response, 404, "not_found")

    @pytest.mark.parametrize("role", ROLES)
    def test_create_is_for_creators_only(self, role, actors):
        data = self.create_data(actors)
        response = actors.client(role).post(self.list_url, data or {}, format=self.create_format)
        if data is None:
            assert response.status_code in (401, 403, 405), response.status_code
            return
        if role == "anonymous":
            assert_error(response, 401)
        elif role in self.list_not_found:
            assert_error(response, 404, "not_found")
        elif role in self.creators:
            assert response.status_code == 201, response.content[:800]
        else:
            assert_error(response, 403)

    @pytest.mark.parametrize("role", ROLES)
    def test_update_is_for_updaters_only(self, role, actors):
        obj = self.make(actors)
        data = self.update_data(actors, obj)
        response = actors.client(role).patch(self.detail_url(obj), data or {}, format="json")
        if data is None:
            assert response.status_code in (401, 403, 404, 405), response.status_code
            return
        if role == "anonymous":
            assert_error(response, 401)
        elif role in self.updaters:
            assert response.status_code == 200, response.content[:800]
        elif role in self.readers:
            assert_error(response, 403)
        elif role in self.list_forbidden:
            # Refused the whole endpoint, as on retrieve: 403 before any object is looked up.
            assert response.status_code in (403, 404), response.status_code
        else:
            assert_error(response, 404)


# --- query counts -----------------------------------------------------------------------------------
def count_queries(callable_) -> tuple[int, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        result = callable_()
    return len(captured.captured_queries), result


def assert_constant_queries(name: str, one: int, many: int) -> None:
    """The list costs as many queries for 50 rows as for 1, and as many as the committed baseline
    says (`ITSM_UPDATE_QUERY_COUNTS=1` rewrites the entry after a deliberate change)."""
    assert one == many, f"{name}: {one} queries for 1 row, {many} for 50"
    if UPDATE_BASELINE:
        # Read, change and write under a lock: the suite's processes (pytest-xdist) update it at once.
        import fcntl

        with BASELINE_FILE.open("a+") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            held.seek(0)
            text = held.read()
            baseline = json.loads(text) if text.strip() else {}
            baseline[name] = many
            held.seek(0)
            held.truncate()
            held.write(json.dumps(dict(sorted(baseline.items())), indent=2) + "\n")
        return
    baseline = json.loads(BASELINE_FILE.read_text()) if BASELINE_FILE.exists() else {}
    assert name in baseline, f"{name} has no entry in {BASELINE_FILE.name}: run with ITSM_UPDATE_QUERY_COUNTS=1"
    assert many == baseline[name], f"{name}: {many} queries, the baseline says {baseline[name]}"
