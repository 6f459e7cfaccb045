"""Fixtures of the major-incident tests: the incidents app's people and teams."""

from incidents.tests.conftest import (  # noqa: F401
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
from response.tests.security_support import (  # noqa: F401, E402
    auditor,
    legal,
    phishing,
    phishing_category,
    sam,
    sec_team,
    sofia,
)
