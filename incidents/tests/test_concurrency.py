"""Two agents acting on one incident at once: exactly one wins, the other is told why."""

import threading

import pytest
from django.db import connection

from incidents import services
from incidents.services import WorkflowError
from incidents.tests.factories import UserFactory
from incidents.workflow import State

from .factories import make_incident


@pytest.mark.django_db(transaction=True)
def test_two_agents_claiming_one_incident_exactly_one_wins(require_postgres, reporter, network_category,
                                                           network_team):
    from incidents import roles

    first = UserFactory(username="first", role=roles.RESOLVER, team=network_team)
    second = UserFactory(username="second", role=roles.RESOLVER, team=network_team)
    incident = make_incident(reporter=reporter, category=network_category)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def claim(user):
        try:
            barrier.wait()
            services.transition(incident=incident.pk, user=user, name="claim")
            outcomes[user.username] = "won"
        except WorkflowError as refused:
            outcomes[user.username] = refused.message
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(u,)) for u in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes.values()).count("won") == 1, outcomes
    loser_message = next(m for m in outcomes.values() if m != "won")
    assert "is already assigned to" in loser_message
    incident.refresh_from_db()
    assert incident.state == State.IN_PROGRESS
    assert incident.assignee.username == next(u for u, m in outcomes.items() if m == "won")
    assert incident.history.filter(history_change_reason="Claim").count() == 1


def test_a_save_from_a_stale_copy_cannot_undo_a_transition(reporter, resolver, manager, network_category):
    """ConcurrentTransitionMixin: the UPDATE is conditional on the state the copy was loaded in."""
    incident = make_incident(reporter=reporter, category=network_category)
    stale = type(incident).objects.get(pk=incident.pk)
    services.transition(incident=incident.pk, user=resolver, name="claim")
    stale.summary = "edited on an old screen"
    with pytest.raises(WorkflowError, match="changed by someone else"):
        services.incident_save_edits(incident=stale, user=manager, changed=["summary"])
    incident.refresh_from_db()
    assert incident.state == State.IN_PROGRESS and incident.summary != "edited on an old screen"


def test_an_edit_cannot_assign_someone_outside_the_team(reporter, agent, other_resolver, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    incident.assignee = other_resolver
    with pytest.raises(WorkflowError, match="cannot work on incidents of Network"):
        services.incident_save_edits(incident=incident, user=agent, changed=["assignee"])


def test_a_resolver_hands_over_by_routing_not_by_editing_the_team(reporter, resolver, platform_team,
                                                                   network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    incident.team = platform_team
    with pytest.raises(WorkflowError, match="Route to team"):
        services.incident_save_edits(incident=incident, user=resolver, changed=["team"])
