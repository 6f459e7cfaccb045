"""The team queue in the admin: a team's unassigned open incidents, most urgent and oldest first,
each with a one-click claim; a claim that lost the race says who won it."""

from __future__ import annotations

import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import services
from incidents.models import Incident
from incidents.workflow import State

from .factories import make_incident

QUEUE = reverse("admin:incidents_incident_queue")



def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def claim_url(incident: Incident) -> str:
    return reverse("admin:incidents_incident_claim", args=[incident.pk])


def listed(response) -> list[str]:
    return [incident.reference for incident, *_ in response.context["rows"]]


def test_queue_lists_the_teams_unassigned_open_incidents_by_priority_then_age(
    client, resolver, agent, reporter, network_category, platform_team
):
    with time_machine.travel("2025-03-03 09:00Z", tick=False):
        old_p3 = make_incident(reporter=reporter, category=network_category, impact="medium", urgency="medium")
    with time_machine.travel("2025-03-03 10:00Z", tick=False):
        p1 = make_incident(reporter=reporter, category=network_category, impact="high", urgency="high")
        new_p3 = make_incident(reporter=reporter, category=network_category, impact="medium", urgency="medium")
        taken = make_incident(reporter=reporter, category=network_category, impact="high", urgency="high")
        resolved = make_incident(reporter=reporter, category=network_category)
        elsewhere = make_incident(reporter=reporter, team=platform_team)
    services.transition(incident=taken.pk, user=resolver, name="claim")
    services.transition(incident=resolved.pk, user=agent, name="start", assignee=agent)
    services.incident_assign(incident=resolved.pk, user=agent, assignee=None)
    services.transition(incident=resolved.pk, user=agent, name="resolve", resolution_code="fixed",
                        resolution_notes="Rebooted.")

    client.force_login(resolver)
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert response.context["team"].slug == "network"
    assert listed(response) == [p1.reference, old_p3.reference, new_p3.reference]
    assert elsewhere.reference not in listed(response)


def test_each_claimable_row_has_a_claim_button(client, resolver, reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    client.force_login(resolver)
    html = client.get(QUEUE).content.decode()
    assert f'action="{claim_url(incident)}"' in html
    assert 'value="Claim"' in html


def test_claim_from_the_queue_assigns_it_to_me_and_starts_work(client, resolver, reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    client.force_login(resolver)
    history_before = incident.history.count()
    response = client.post(claim_url(incident), {"next": QUEUE})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:incidents_incident_change", args=[incident.pk])
    assert messages_of(response) == [f"You claimed {incident.reference}; it is assigned to you and in progress."]
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.state, saved.assignee) == (State.IN_PROGRESS, resolver)
    assert incident.history.count() == history_before + 1
    assert incident.history.first().history_user == resolver


def test_a_claim_that_lost_the_race_says_who_has_it(client, resolver, agent, reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    client.force_login(resolver)
    assert incident.reference in listed(client.get(QUEUE))
    # Someone else is quicker (the threaded PostgreSQL test covers real concurrency).
    services.transition(incident=incident.pk, user=agent, name="claim")
    response = client.post(claim_url(incident), {"next": f"{QUEUE}?team=network"})
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?team=network"
    assert messages_of(response) == [f"{incident.reference} is already assigned to dana."]
    assert Incident.objects.get(pk=incident.pk).assignee == agent


def test_claim_goes_back_only_to_a_local_page(client, other_resolver, reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    client.force_login(other_resolver)
    response = client.post(claim_url(incident), {"next": "https://evil.example/"})
    assert response["Location"] == QUEUE
    assert messages_of(response) == [f"You may not “claim” {incident.reference}."]


def test_claim_needs_a_post(client, resolver, reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    client.force_login(resolver)
    assert client.get(claim_url(incident)).status_code == 405
    assert Incident.objects.get(pk=incident.pk).assignee is None


def test_agents_and_managers_choose_any_teams_queue(client, agent, manager, reporter, platform_team):
    incident = make_incident(reporter=reporter, team=platform_team)
    for user in (agent, manager):
        client.force_login(user)
        response = client.get(QUEUE, {"team": "platform"})
        assert response.context["team"] == platform_team
        assert listed(response) == [incident.reference]


def test_resolvers_see_only_their_own_teams_queues(client, resolver, platform_team):
    client.force_login(resolver)
    response = client.get(QUEUE, {"team": "platform"})
    assert response.status_code == 200
    assert response.context["team"].slug == "network"
    assert [t.slug for t in response.context["teams"]] == ["network"]
    assert messages_of(response) == ["There is no queue “platform” that you may look at."]


def test_confidential_incidents_appear_only_in_queues_their_viewer_may_see(
    client, agent, reporter, security_category
):
    make_incident(reporter=reporter, category=security_category)
    client.force_login(agent)
    assert listed(client.get(QUEUE, {"team": "security"})) == []


def test_reporters_never_reach_the_queue(client, reporter):
    client.force_login(reporter)
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_queue_is_linked_from_the_admin_index_and_the_incident_list(client, resolver):
    client.force_login(resolver)
    for url in (reverse("admin:index"), reverse("admin:incidents_incident_changelist")):
        assert f'href="{QUEUE}"' in client.get(url).content.decode()


def test_queue_query_count_is_the_same_for_1_and_50_incidents(client, resolver, reporter, network_category):
    client.force_login(resolver)
    make_incident(reporter=reporter, category=network_category)
    client.get(QUEUE)  # warm the per-process caches
    with CaptureQueriesContext(connection) as one:
        assert len(listed(client.get(QUEUE))) == 1
    for n in range(49):
        make_incident(reporter=reporter, category=network_category, summary=f"Switch port {n} flapping")
    with CaptureQueriesContext(connection) as fifty:
        assert len(listed(client.get(QUEUE))) == 50
    assert len(one.captured_queries) == len(fifty.captured_queries)


def test_the_queue_shows_the_sla_column_like_the_list_with_headers_apart(client, resolver, reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category, impact="high", urgency="high")
    client.force_login(resolver)
    response = client.get(QUEUE)
    page = response.content.decode()
    (row,) = response.context["rows"]
    assert row[0] == incident and 'class="sla sla-' in row[3] and "Response in" in row[3]
    assert row[3] in page, "the same cell as the incident list's SLA column"
    # Each header in the changelist's markup, whose CSS pads the inner span: "ServiceRunbookAge"
    # ran together without it.
    for label in ("Service", "Runbook", "SLA", "Age"):
        assert f'<th scope="col"><div class="text"><span>{label}</span></div></th>' in page


def test_a_long_summary_in_the_queue_is_cut_with_the_whole_of_it_in_a_tooltip(client, resolver, reporter,
                                                                              network_category):
    summary = "Switch port flapping on the third floor " * 4
    make_incident(reporter=reporter, category=network_category, summary=summary.strip())
    client.force_login(resolver)
    page = client.get(QUEUE).content.decode()
    assert f'<span class="cell-text" title="{summary.strip()}">' in page
