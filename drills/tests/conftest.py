"""Fixtures of the drills tests: the incidents app's people and teams, and a scenario."""

from __future__ import annotations

import pytest

from drills.models import Scenario, ScenarioStep, StepKind
from incidents.tests.conftest import *  # noqa: F403  (the incident fixtures, for this package)
from incidents.tests.factories import ServiceFactory


@pytest.fixture
def core_switch(network_category):
    """A P1 scenario (high impact, high urgency) with two scripted alerts, an update and a reporter comment."""
    scenario = Scenario.objects.create(
        title="Core switch failure", briefing="The core switch in DC1 dies; watch the paging and the updates.",
        summary="Core switch DC1 down: offices offline", description="Both uplinks of core-sw-1 are dark.",
        category=network_category, service=ServiceFactory(name="Office network"), impact="high", urgency="high",
        channel="monitoring",
    )
    ScenarioStep.objects.create(scenario=scenario, offset_minutes=0, kind=StepKind.ALERT,
                                title="core-sw-1 unreachable", severity="critical", labels={"device": "core-sw-1"})
    ScenarioStep.objects.create(scenario=scenario, offset_minutes=5, kind=StepKind.ALERT,
                                title="Office VPN gateway down", severity="critical", labels={"device": "vpn-gw-1"})
    ScenarioStep.objects.create(scenario=scenario, offset_minutes=10, kind=StepKind.UPDATE,
                                text="We are investigating a network outage in the offices.")
    ScenarioStep.objects.create(scenario=scenario, offset_minutes=15, kind=StepKind.COMMENT,
                                text="Still nothing works on floor 3, any news?")
    return scenario
