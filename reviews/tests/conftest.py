"""Review tests use the incident fixtures (people, teams, categories) and add their own."""

import pytest

from core.tests.api_support import actors  # noqa: F401  (the API tests' one user per role)
from incidents.tests.conftest import (  # noqa: F401  (fixtures, re-exported for this package)
    agent,
    desk_team,
    manager,
    network_category,
    network_team,
    other_reporter,
    other_resolver,
    platform_team,
    reporter,
    resolver,
    security_category,
    security_team,
)
from incidents.tests.factories import ServiceFactory


@pytest.fixture
def vpn_service(db):
    return ServiceFactory(name="VPN")


@pytest.fixture
def mailoutbox_clear(mailoutbox):
    mailoutbox.clear()
    return mailoutbox


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Each factory user hashes a password; the production hasher costs most of a test's time here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
