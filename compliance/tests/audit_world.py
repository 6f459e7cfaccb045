"""The people and the category the audit tests open incidents with (fixtures, imported by name)."""

from __future__ import annotations

import pytest

from incidents import roles
from incidents.tests.factories import CategoryFactory, TeamFactory, UserFactory


@pytest.fixture
def reporter(db):
    return UserFactory(username="rita", role=roles.REPORTER)


@pytest.fixture
def manager(db):
    return UserFactory(username="maria", role=roles.INCIDENT_MANAGER)


@pytest.fixture
def network_category(db):
    return CategoryFactory(name="Network", default_team=TeamFactory(name="Network", slug="network", tier=2))
