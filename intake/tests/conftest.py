"""Fixtures of the intake tests: the incidents app's people and teams, and alert sources."""


from incidents.tests.conftest import (  # noqa: F401
    agent,
    desk_team,
    manager,
    network_category,
    network_team,
    platform_team,
    reporter,
    resolver,
)
