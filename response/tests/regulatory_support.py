"""Shared set-up for the regulatory clock tests: a security incident (a data breach) worked by a
security team, and the built-in regulations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from incidents.models import Incident, IncidentEvent
from incidents.tests.factories import CategoryFactory, make_incident
from response.models import Regulation

# A Monday, 10:00 UTC.
MONDAY_10 = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


@pytest.fixture
def data_breach_category(security_team):
    security_team.security = True
    security_team.email = "security@example.com"
    security_team.save()
    return CategoryFactory(name="Data breach", default_team=security_team, security=True, confidential=True)


@pytest.fixture
def breach(reporter, data_breach_category) -> Incident:
    return make_incident(reporter=reporter, category=data_breach_category, summary="Customer database exposed")


@pytest.fixture
def gdpr(db) -> Regulation:
    return Regulation.objects.get(code="gdpr")


@pytest.fixture
def hipaa(db) -> Regulation:
    return Regulation.objects.get(code="hipaa")


def regulatory_events(incident: Incident) -> list[str]:
    return list(IncidentEvent.objects.filter(incident=incident, kind="regulatory").order_by("pk")
                .values_list("message", flat=True))
