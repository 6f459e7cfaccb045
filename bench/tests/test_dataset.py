"""The benchmark data set generator (`manage.py generate_dataset`) at a tiny scale."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction

from bench.management.commands.generate_dataset import Command as GenerateDataset
from incidents import roles
from incidents.models import Comment, EventKind, Incident, IncidentEvent, Sequence
from incidents.workflow import OPEN_STATES, State

pytestmark = pytest.mark.django_db
ANCHOR = date(2026, 6, 1)


def generate(incidents: int = 200, seed: int = 7) -> None:
    call_command(GenerateDataset(), incidents=incidents, seed=seed, anchor=ANCHOR, verbosity=0)


class Rollback(Exception):
    pass


def fingerprint(incidents: int, seed: int) -> list[tuple]:
    """Generate inside a savepoint, describe the rows by natural keys (ids may differ), roll back."""
    rows: list[tuple] = []
    try:
        with transaction.atomic():
            generate(incidents, seed)
            rows += Incident.objects.order_by("reference").values_list(
                "reference", "summary", "description", "state", "priority", "impact", "urgency", "channel",
                "team__slug", "category__name", "reporter__username", "assignee__username", "opened_at",
                "resolved_at", "closed_at", "resolution_code")
            rows += Incident.history.order_by("reference", "history_date").values_list(
                "reference", "history_date", "state", "history_change_reason", "history_user__username")
            rows += Comment.objects.order_by("incident__reference", "created_at").values_list(
                "incident__reference", "author__username", "body", "public", "created_at")
            raise Rollback
    except Rollback:
        pass
    return rows


def test_the_same_seed_generates_the_same_service_desk():
    first = fingerprint(60, seed=3)
    assert first and first == fingerprint(60, seed=3)
    assert fingerprint(60, seed=4) != first


def test_incidents_have_the_mix_of_a_real_desk():
    generate(200)
    incidents = Incident.objects.all()
    assert incidents.count() == 200
    priorities = Counter(incidents.values_list("priority", flat=True))
    states = Counter(incidents.values_list("state", flat=True))
    # Mostly P3/P4 and a few P1; mostly closed, some of every open state.
    assert priorities[3] + priorities[4] >= 160
    assert priorities[1] <= 10
    assert states.most_common(1)[0][0] == State.CLOSED and states[State.CLOSED] >= 120
    assert sum(states[s] for s in OPEN_STATES) >= 10
    assert incidents.values("team").distinct().count() >= 8
    assert incidents.values("category").distinct().count() >= 8
    assert Comment.objects.exists()


def test_every_incident_has_3_to_10_history_rows_that_end_in_its_state():
    generate(200)
    histories = Counter(Incident.history.values_list("id", flat=True))
    assert set(histories) == set(Incident.objects.values_list("pk", flat=True))
    assert min(histories.values()) >= 3 and max(histories.values()) <= 10
    for incident in Incident.objects.order_by("pk")[:50]:
        last = incident.history.order_by("-history_date").first()
        assert last.state == incident.state
        assert incident.version == histories[incident.pk]


def test_timeline_agrees_with_the_state_and_dates():
    generate(200)
    for incident in Incident.objects.filter(state=State.CLOSED)[:30]:
        assert incident.opened_at <= incident.triaged_at <= incident.resolved_at <= incident.closed_at
        kinds = list(incident.events.values_list("transition", flat=True).filter(kind=EventKind.TRANSITION))
        assert kinds[-1] == "close" and "resolve" in kinds
    assert IncidentEvent.objects.filter(kind=EventKind.CREATED).count() == 200
    assert not Incident.objects.filter(state__in=OPEN_STATES, closed_at__isnull=False).exists()


def test_references_continue_from_the_generated_ones():
    generate(50)
    assert Incident.objects.order_by("pk").values_list("reference", flat=True).first() == "INC-000001"
    assert Sequence.objects.get(name="incident").value == 50
    assert Sequence.next_value("incident") == 51


def test_people_have_roles_and_teams():
    generate(200)
    User = get_user_model()
    assert User.objects.filter(groups__name=roles.REPORTER).count() >= 20
    agents = User.objects.filter(groups__name=roles.DESK_AGENT)
    assert agents.exists() and all(a.is_staff for a in agents)
    resolver = User.objects.filter(groups__name=roles.RESOLVER).first()
    assert resolver.teams.exists()
    assert resolver.check_password("bench-password")


def test_known_errors_and_articles_are_generated_with_it_text():
    from django.apps import apps

    generate(200)
    known_error = apps.get_model("knowledge_base", "KnownError")
    assert known_error.objects.count() == 20
    assert known_error.objects.filter(state="published").exists()
    assert apps.get_model("knowledge_base", "Article").objects.count() == 5


def test_refuses_a_database_that_already_has_incidents():
    generate(50)
    with pytest.raises(CommandError, match="already has incidents"):
        generate(50)
