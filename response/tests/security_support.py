"""Fixtures of the security-response tests: a Security team (the one that sees security incidents),
its two analysts, a security category, legal and compliance, and a phishing incident."""

from __future__ import annotations

import pytest

from core.roles import AUDITOR
from incidents import roles
from incidents.tests.factories import CategoryFactory, TeamFactory, UserFactory, make_incident
from response.models import NoticeRecipient, NoticeRole


@pytest.fixture
def sec_team(db):
    return TeamFactory(name="SecOps", slug="secops", tier=2, security=True)


@pytest.fixture
def phishing_category(sec_team):
    return CategoryFactory(name="Phishing", default_team=sec_team, security=True)


@pytest.fixture
def sam(sec_team):
    return UserFactory(username="sam", role=roles.RESOLVER, team=sec_team)


@pytest.fixture
def sofia(sec_team):
    return UserFactory(username="sofia", role=roles.RESOLVER, team=sec_team)


@pytest.fixture
def auditor(db):
    return UserFactory(username="audrey", role=AUDITOR)


@pytest.fixture
def legal(db):
    NoticeRecipient.objects.create(role=NoticeRole.LEGAL, name="Legal", email="legal@example.com")
    NoticeRecipient.objects.create(role=NoticeRole.COMPLIANCE, name="Compliance", email="compliance@example.com")


@pytest.fixture
def phishing(reporter, phishing_category):
    return make_incident(reporter=reporter, category=phishing_category,
                         summary="Phishing: credentials entered on a fake login page")
