"""What joins the audit chain: the sweep's events as they commit, a team's member changes, a
review's rows in its incident's chain; and no bulk history writer that would slip past it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine

from compliance.audit import verify
from compliance.models import AuditEntry
from incidents import roles
from incidents.models import EscalationPath, EventKind, IncidentEvent, Team
from incidents.sla.tests.sla_support import MONDAY_10, claim, only_rules, open_incident, sweep, timeline
from incidents.tests.factories import TeamFactory, UserFactory
from reviews.tests.factories import ActionItemFactory, ReviewFactory

from . import audit_world

reporter, manager, network_category = audit_world.reporter, audit_world.manager, audit_world.network_category
pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_a_sweep_that_routes_an_incident_chains_the_event_with_its_amended_message(reporter, network_category):
    """The sweep writes the escalation event, routes the incident, then rewrites the event's message
    ("Routed to Platform."): the chain holds the message that committed, and verifies."""
    platform = TeamFactory(name="Platform", slug="platform", tier=3)
    network = Team.objects.get(name="Network")
    resolver = UserFactory(username="rob", role=roles.RESOLVER, team=network)
    with time_machine.travel(MONDAY_10, tick=False) as clock:
        only_rules("Resolution target breached: route")
        EscalationPath.objects.create(team=network, escalates_to=platform)
        incident = open_incident(1, reporter=reporter, category=network_category)
        claim(incident, resolver)
        clock.shift(timedelta(hours=4))
        sweep()
    [event] = timeline(incident, EventKind.ESCALATION)
    assert "Routed to Platform" in event.message
    entry = AuditEntry.objects.get(table=IncidentEvent._meta.db_table, row_pk=event.pk)
    assert entry.incident_id == incident.pk
    report = verify()
    assert report.ok, report.broken
    assert verify(incident_id=incident.pk).ok


def test_adding_a_team_member_chains_the_membership_history(reporter):
    team = TeamFactory(name="Storage", slug="storage")
    before = AuditEntry.objects.count()
    team.members.add(UserFactory(username="sam", role=roles.RESOLVER))  # a history row, with its members
    tables = set(AuditEntry.objects.filter(position__gt=before).values_list("table", flat=True))
    assert {"incidents_historicalteam", "incidents_historicalteam_members"} <= tables
    assert not AuditEntry.objects.filter(position__gt=before, incident__isnull=False).exists()
    assert verify().ok


def test_a_reviews_rows_join_its_incidents_chain(manager):
    item = ActionItemFactory(owner=manager)
    review = item.review
    review_rows = AuditEntry.objects.filter(table=type(review).history.model._meta.db_table)
    item_rows = AuditEntry.objects.filter(table=type(item).history.model._meta.db_table)
    assert review_rows.get().incident_id == review.incident_id
    assert item_rows.get().incident_id == review.incident_id  # through its review, found at flush
    assert verify(incident_id=review.incident_id).ok


def test_no_code_in_incidents_or_reviews_writes_history_rows_in_bulk():
    """Bulk history writers send no signal, so their rows would escape the chain: none may exist
    until they call into it (docs/audit.md, "What is chained")."""
    writers = re.compile(r"bulk_history_create|bulk_create_with_history|bulk_update_with_history")
    found = [
        str(path.relative_to(ROOT))
        for app in ("incidents", "reviews", "core")
        for path in (ROOT / app).rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts and writers.search(path.read_text())
    ]
    assert found == []


def test_a_review_made_without_an_incident_manager_still_verifies(reporter):
    ReviewFactory(owner=None)
    assert verify().ok
