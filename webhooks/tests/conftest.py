"""Webhook tests use the incident fixtures (people, teams, categories), a real receiver on
127.0.0.1, and endpoints pointing at it."""

from __future__ import annotations

import pytest

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

from .receiver import Receiver


@pytest.fixture(autouse=True)
def _receivers_on_this_machine(settings):
    """The receiver runs on 127.0.0.1, which the SSRF guard refuses by default: allowed here, as a
    portal whose receivers are on its own network allows it. The guard's own tests switch it off."""
    settings.ITSM_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()
