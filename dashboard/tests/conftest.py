"""People and incidents for the staff home's tests: one person per role, four teams (Security's
incidents are confidential), and incidents opened through the service then given the stored clock
fields a test needs (what the SLA sweep and the transitions would have written)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from incidents import roles
from incidents.models import Incident
from incidents.tests.factories import CategoryFactory, TeamFactory, UserFactory, make_incident

INDEX = reverse("admin:index")
# A Monday, 10:00 UTC: mid-week, so 7 and 30 days back are plain dates.
NOW = datetime.fromisoformat("2026-11-30T10:00:00+00:00")


@pytest.fixture
def teams(db) -> dict:
    return {
        "desk": TeamFactory(name="Service Desk", slug="service-desk", tier=1),
        "network": TeamFactory(name="Network", slug="network", tier=2),
        "platform": TeamFactory(name="Platform", slug="platform", tier=3),
        "security": TeamFactory(name="Security", slug="security", tier=2),
    }


@pytest.fixture
def categories(teams) -> dict:
    return {
        "network": CategoryFactory(name="Network", default_team=teams["network"]),
        "security": CategoryFactory(name="Security", default_team=teams["security"], confidential=True),
    }


@pytest.fixture
def people(teams) -> dict:
    return {
        "reporter": UserFactory(username="rita", role=roles.REPORTER),
        "agent": UserFactory(username="dana", role=roles.DESK_AGENT, team=teams["desk"]),
        "resolver": UserFactory(username="nick", role=roles.RESOLVER, team=teams["network"]),
        "other_resolver": UserFactory(username="paula", role=roles.RESOLVER, team=teams["platform"]),
        "security_resolver": UserFactory(username="sam", role=roles.RESOLVER, team=teams["security"]),
        "manager": UserFactory(username="maria", role=roles.INCIDENT_MANAGER),
    }


@pytest.fixture
def open_incident(people, teams):
    """`open_incident(team="network", priority=2, **stored_fields)`: an incident opened through the
    service, then given the stored fields (state, clock, timestamps) the test is about."""

    def make(*, team: str = "network", priority: int = 4, summary: str = "Cannot reach the file share",
             confidential: bool = False, **stored) -> Incident:
        incident = make_incident(reporter=people["reporter"], team=teams[team], summary=summary)
        fields = {"priority": priority, "sla_priority": priority, "confidential": confidential, **stored}
        Incident.objects.filter(pk=incident.pk).update(**fields)
        incident.refresh_from_db()
        return incident

    return make


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ago(**delta) -> datetime:
    return NOW - timedelta(**delta)


def later(**delta) -> datetime:
    return NOW + timedelta(**delta)
