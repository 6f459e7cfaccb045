import pytest

from core.tests.api_support import actors  # noqa: F401
from incidents import roles

from .factories import CategoryFactory, TeamFactory, UserFactory


@pytest.fixture
def desk_team(db):
    return TeamFactory(name="Service Desk", slug="service-desk", tier=1)


@pytest.fixture
def network_team(db):
    return TeamFactory(name="Network", slug="network", tier=2)


@pytest.fixture
def platform_team(db):
    return TeamFactory(name="Platform", slug="platform", tier=3)


@pytest.fixture
def security_team(db):
    return TeamFactory(name="Security", slug="security", tier=2)


@pytest.fixture
def network_category(network_team):
    return CategoryFactory(name="Network", default_team=network_team)


@pytest.fixture
def security_category(security_team):
    return CategoryFactory(name="Security", default_team=security_team, confidential=True)


@pytest.fixture
def reporter(db):
    return UserFactory(username="rita", role=roles.REPORTER)


@pytest.fixture
def other_reporter(db):
    return UserFactory(username="oscar", role=roles.REPORTER)


@pytest.fixture
def agent(desk_team):
    return UserFactory(username="dana", role=roles.DESK_AGENT, team=desk_team)


@pytest.fixture
def resolver(network_team):
    return UserFactory(username="nick", role=roles.RESOLVER, team=network_team)


@pytest.fixture
def other_resolver(platform_team):
    return UserFactory(username="paula", role=roles.RESOLVER, team=platform_team)


@pytest.fixture
def manager(db):
    return UserFactory(username="maria", role=roles.INCIDENT_MANAGER)
