"""Priority comes from impact × urgency through a matrix that admins can change."""

import pytest

from incidents import services
from incidents.models import PriorityRule

from .factories import make_incident

SOP_MATRIX = [
    ("high", "high", 1),
    ("high", "medium", 2), ("medium", "high", 2),
    ("high", "low", 3), ("medium", "medium", 3), ("low", "high", 3),
    ("medium", "low", 4), ("low", "medium", 4), ("low", "low", 4),
]


@pytest.mark.parametrize(("impact", "urgency", "priority"), SOP_MATRIX)
def test_default_matrix_gives_the_sop_priority(db, impact, urgency, priority):
    assert make_incident(impact=impact, urgency=urgency).priority == priority


def test_the_matrix_is_seeded_with_all_nine_cells(db):
    assert PriorityRule.objects.count() == 9


def test_an_admin_change_to_the_matrix_applies_to_new_incidents(db):
    PriorityRule.objects.filter(impact="low", urgency="high").update(priority=2)
    assert make_incident(impact="low", urgency="high").priority == 2


def test_raising_impact_in_triage_raises_priority(reporter, manager, network_category):
    incident = make_incident(reporter=reporter, category=network_category, impact="low", urgency="low")
    assert incident.priority == 4
    incident = services.transition(incident=incident, user=manager, name="triage", impact="high", urgency="high")
    assert incident.priority == 1


def test_category_routes_to_its_default_team(reporter, network_category, network_team):
    assert make_incident(reporter=reporter, category=network_category).team == network_team


def test_security_category_makes_the_incident_confidential(reporter, security_category):
    assert make_incident(reporter=reporter, category=security_category).confidential
