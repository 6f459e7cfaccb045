"""The desk's incident list: what it shows, how it is filtered and searched, who sees what, what it
costs in queries, and the bulk actions."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import major, services
from incidents.models import Incident
from incidents.workflow import State

from .factories import make_incident

CHANGELIST = reverse("admin:incidents_incident_changelist")



def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def shown(response) -> list[str]:
    return [incident.reference for incident in response.context["cl"].result_list]


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def p1_network(reporter, network_category):
    return make_incident(reporter=reporter, category=network_category, impact="high", urgency="high",
                         summary="Core switch down in building B")


@pytest.fixture
def p4_platform(other_reporter, platform_team):
    return make_incident(reporter=other_reporter, team=platform_team, summary="Build agent disk almost full",
                         description="The nightly job warns about /var.")


@pytest.fixture
def confidential(reporter, security_category):
    return make_incident(reporter=reporter, category=security_category, summary="Phishing mail clicked")


def test_changelist_shows_reference_summary_priority_state_team_assignee_and_age(client, agent, p1_network):
    client.force_login(agent)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert list(response.context["cl"].list_display) == [
        "action_checkbox", "reference", "summary_text", "priority_badge", "sla_time_left", "state", "team", "assignee",
        "age",
    ]
    html = response.content.decode()
    assert p1_network.reference in html
    assert "Core switch down in building B" in html
    assert 'class="prio-badge prio-1"' in html
    assert "Network" in html
    assert "0\xa0minutes" in html  # the age, humanised
    # A long summary takes two lines at most; the tooltip has the whole of it.
    assert '<span class="cell-text" title="Core switch down in building B">Core switch down in building B</span>' in html


def test_changelist_does_not_count_the_whole_table(client, agent):
    client.force_login(agent)
    response = client.get(CHANGELIST)
    assert response.context["cl"].show_full_result_count is False


@pytest.mark.parametrize("query, expected", [
    ("state__exact=new", {"network", "platform"}),
    ("priority__exact=1", {"network"}),
    ("priority__exact=4", {"platform"}),
    ("is_major__exact=1", set()),
    ("assigned=none", {"network", "platform"}),
])
def test_changelist_filters(client, agent, p1_network, p4_platform, query, expected):
    names = {p1_network.reference: "network", p4_platform.reference: "platform"}
    client.force_login(agent)
    response = client.get(f"{CHANGELIST}?{query}")
    assert {names[r] for r in shown(response)} == expected


def test_changelist_filters_by_team_and_category(client, agent, p1_network, p4_platform, network_category):
    client.force_login(agent)
    by_team = client.get(f"{CHANGELIST}?team__id__exact={p4_platform.team_id}")
    by_category = client.get(f"{CHANGELIST}?category__id__exact={network_category.pk}")
    assert shown(by_team) == [p4_platform.reference]
    assert shown(by_category) == [p1_network.reference]


def test_assigned_to_me_filter_shows_only_my_incidents(client, resolver, agent, p1_network, p4_platform):
    services.transition(incident=p1_network, user=resolver, name="claim")
    client.force_login(resolver)
    assert shown(client.get(f"{CHANGELIST}?assigned=me")) == [p1_network.reference]
    assert shown(client.get(f"{CHANGELIST}?assigned=none")) == [p4_platform.reference]


def test_major_filter(client, manager, p1_network, p4_platform):
    major.declare(incident=p1_network, user=manager, reason="Building B is offline")
    client.force_login(manager)
    assert shown(client.get(f"{CHANGELIST}?is_major__exact=1")) == [p1_network.reference]


@pytest.mark.parametrize("term", ["summary", "description", "reference", "reporter_username", "reporter_email"])
def test_search_by_reference_summary_description_and_reporter(client, agent, p1_network, p4_platform, term):
    terms = {
        "summary": "disk almost",
        "description": "nightly job",
        "reference": p4_platform.reference,
        "reporter_username": "oscar",
        "reporter_email": "oscar@example.com",
    }
    client.force_login(agent)
    response = client.get(CHANGELIST, {"q": terms[term]})
    assert shown(response) == [p4_platform.reference]


def test_search_needs_every_word_and_keeps_quoted_phrases(client, agent, p1_network, p4_platform):
    client.force_login(agent)
    assert shown(client.get(CHANGELIST, {"q": "disk nightly"})) == [p4_platform.reference]
    assert shown(client.get(CHANGELIST, {"q": "disk switch"})) == []
    assert shown(client.get(CHANGELIST, {"q": '"almost full"'})) == [p4_platform.reference]
    assert shown(client.get(CHANGELIST, {"q": '"full almost"'})) == []


def test_search_by_a_word_in_many_reporters_addresses(client, agent, p1_network, p4_platform, monkeypatch):
    from incidents import selectors

    monkeypatch.setattr(selectors, "REPORTER_IDS_INLINE", 1)  # both reporters match: the subquery path
    client.force_login(agent)
    assert sorted(shown(client.get(CHANGELIST, {"q": "example.com"}))) == sorted(
        [p1_network.reference, p4_platform.reference])


def test_search_never_reveals_what_the_user_may_not_see(client, resolver, confidential, p1_network):
    client.force_login(resolver)  # Network resolver: the Security team's confidential incident is not theirs
    assert shown(client.get(CHANGELIST, {"q": "Phishing"})) == []
    assert shown(client.get(CHANGELIST, {"q": "rita"})) == [p1_network.reference]


def test_search_reads_the_incident_table_alone_without_distinct(client, agent, p1_network, p4_platform):
    client.force_login(agent)
    with CaptureQueriesContext(connection) as ctx:
        client.get(CHANGELIST, {"q": "oscar"})
    main = [q["sql"] for q in ctx.captured_queries if 'FROM "incidents_incident"' in q["sql"]]
    # The reporter's name is matched in a query of its own, not through a join and a DISTINCT.
    assert main and not any("DISTINCT" in sql or "username" in sql.split(" WHERE ", 1)[-1] for sql in main)


def test_search_has_trigram_indexes_on_postgresql(db):
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes exist on PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'incidents_incident' AND indexdef LIKE %s",
                       ["%gin_trgm_ops%"])
        names = sorted(row[0] for row in cursor.fetchall())
    assert names == ["incident_description_trgm", "incident_reference_trgm", "incident_summary_trgm"]


def test_changelist_query_count_is_the_same_for_1_and_100_incidents(client, agent, reporter, network_category):
    client.force_login(agent)
    make_incident(reporter=reporter, category=network_category)
    client.get(CHANGELIST)  # warm the per-process caches (content types, templates)
    one = queries_for(client, CHANGELIST)
    for n in range(99):
        make_incident(reporter=reporter, category=network_category, summary=f"Printer {n} offline")
    hundred = queries_for(client, CHANGELIST)
    assert one == hundred


def test_changelist_query_count_is_the_same_for_1_and_100_incidents_for_a_resolver(
    client, resolver, reporter, network_category
):
    # A resolver's list is filtered by the visibility rule (their teams, confidential incidents).
    client.force_login(resolver)
    make_incident(reporter=reporter, category=network_category)
    client.get(CHANGELIST)
    one = queries_for(client, f"{CHANGELIST}?assigned=none")
    for n in range(99):
        make_incident(reporter=reporter, category=network_category, summary=f"Printer {n} offline")
    hundred = queries_for(client, f"{CHANGELIST}?assigned=none")
    assert one == hundred


# --- who sees what ---------------------------------------------------------------------------------
def test_reporters_never_reach_the_admin(client, reporter, p1_network):
    client.force_login(reporter)
    for url in (reverse("admin:index"), CHANGELIST,
                reverse("admin:incidents_incident_change", args=[p1_network.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_confidential_incident_is_absent_from_the_list_of_non_members(
    client, resolver, agent, confidential, p1_network
):
    client.force_login(resolver)
    assert confidential.reference not in shown(client.get(CHANGELIST))
    client.force_login(agent)
    assert confidential.reference not in shown(client.get(CHANGELIST))


def test_confidential_incident_is_listed_for_its_team_and_incident_managers(
    client, manager, security_team, confidential
):
    from .factories import UserFactory

    member = UserFactory(username="sam", role="Resolver", team=security_team)
    for user in (manager, member):
        client.force_login(user)
        assert confidential.reference in shown(client.get(CHANGELIST))


# --- bulk actions ----------------------------------------------------------------------------------
def test_bulk_assign_to_me_assigns_each_incident_through_the_service(client, agent, p1_network, p4_platform):
    client.force_login(agent)
    response = client.post(CHANGELIST, {
        "action": "assign_to_me", "_selected_action": [p1_network.pk, p4_platform.pk],
    }, follow=True)
    assert response.status_code == 200
    assert messages_of(response) == ["2 incidents assigned to you."]
    for incident in Incident.objects.filter(pk__in=[p1_network.pk, p4_platform.pk]):
        assert incident.assignee == agent
        assert incident.history.first().history_user == agent


def test_bulk_assign_to_me_reports_each_refusal(client, resolver, p1_network, p4_platform):
    client.force_login(resolver)
    response = client.post(CHANGELIST, {
        "action": "assign_to_me", "_selected_action": [p1_network.pk, p4_platform.pk],
    }, follow=True)
    assert messages_of(response) == [
        f"You may not assign {p4_platform.reference}.",
        "1 incident assigned to you.",
    ]
    assert Incident.objects.get(pk=p1_network.pk).assignee == resolver
    assert Incident.objects.get(pk=p4_platform.pk).assignee is None


def test_bulk_route_to_team_asks_for_the_team_first(client, agent, p1_network, p4_platform):
    client.force_login(agent)
    response = client.post(CHANGELIST, {
        "action": "route_to_team", "_selected_action": [p1_network.pk, p4_platform.pk],
    })
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="team"' in html
    assert p1_network.reference in html and p4_platform.reference in html
    assert Incident.objects.get(pk=p1_network.pk).team.slug == "network"


def test_bulk_route_to_team_routes_each_and_reports_refusals(client, agent, p1_network, p4_platform, platform_team):
    client.force_login(agent)
    response = client.post(CHANGELIST, {
        "action": "route_to_team", "_selected_action": [p1_network.pk, p4_platform.pk],
        "apply": "1", "team": platform_team.pk, "reason": "Switch is managed by Platform",
    }, follow=True)
    assert messages_of(response) == [
        f"{p4_platform.reference}: The incident is already in the Platform queue.",
        "1 incident routed to Platform.",
    ]
    routed = Incident.objects.get(pk=p1_network.pk)
    assert routed.team == platform_team
    assert routed.state == State.TRIAGED
    assert routed.history.first().history_change_reason == "Route to team: Switch is managed by Platform"


def test_the_count_stops_at_the_cap_and_says_so(client, agent, reporter, network_category, monkeypatch):
    from core.paginator import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "cap", 3)
    for n in range(5):
        make_incident(reporter=reporter, category=network_category, summary=f"Printer {n} jams")
    make_incident(reporter=reporter, category=network_category, summary="VPN drops")
    client.force_login(agent)

    everything = client.get(CHANGELIST)
    cl = everything.context["cl"]
    assert (cl.result_count, cl.paginator.capped) == (3, True)
    assert b"3+ incidents" in everything.content  # the paginator line
    assert b"Select all 3+ incidents" in everything.content  # the select-across link
    assert everything.context["selection_note_all"] == "All 3+ selected"
    searched = client.get(CHANGELIST + "?q=jams")
    assert b"3+ results" in searched.content  # by the search box

    narrow = client.get(CHANGELIST + "?q=VPN")
    assert (narrow.context["cl"].result_count, narrow.context["cl"].paginator.capped) == (1, False)
    assert b"1 incident\n" in narrow.content or b"1 incident " in narrow.content

    exactly = client.get(CHANGELIST + "?q=Printer")  # more than the cap: capped, yet every page works
    assert exactly.context["cl"].paginator.capped is True

    monkeypatch.setattr(CappedCountPaginator, "cap", 2)
    monkeypatch.setattr(admin.site._registry[Incident], "list_per_page", 1)
    past = client.get(CHANGELIST + "?q=Printer&p=9")  # beyond the counted pages: the last one, filters kept
    assert past.status_code == 200
    assert len(shown(past)) == 1 and "Printer" in past.context["cl"].result_list[0].summary


def test_select_all_past_the_cap_acts_on_every_match(client, agent, reporter, network_category, monkeypatch):
    from core.paginator import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "cap", 2)
    incidents = [make_incident(reporter=reporter, category=network_category) for _ in range(4)]
    client.force_login(agent)
    response = client.post(CHANGELIST, {"action": "assign_to_me", "select_across": "1", "index": "0",
                                        "_selected_action": [incidents[0].pk]})
    assert response.status_code == 302
    assert Incident.objects.filter(assignee=agent).count() == 4


def test_the_quick_selection_checkbox_is_the_html_django_renders(agent, p1_network):
    """The list writes its checkboxes directly (core.admin.QuickListMixin): byte for byte what
    ModelAdmin.action_checkbox renders, so bulk actions and the select-all script work unchanged."""
    from django.contrib import admin as django_admin

    from incidents.admin.incident import IncidentAdmin

    model_admin = IncidentAdmin(Incident, django_admin.site)
    django_own = django_admin.ModelAdmin.action_checkbox(model_admin, p1_network)
    assert model_admin.action_checkbox(p1_network) == django_own


def test_the_quick_row_links_are_the_urls_django_reverses(client, agent, p1_network, p4_platform):
    client.force_login(agent)
    page = client.get(CHANGELIST).content.decode()
    for incident in (p1_network, p4_platform):
        assert f'href="{reverse("admin:incidents_incident_change", args=[incident.pk])}"' in page


def test_new_and_unassigned_lists_the_most_urgent_first_then_the_longest_waiting(client, agent, reporter,
                                                                                 network_category):
    """The admin home's "New and unassigned" link: a P1 sat sixth of nine, below newer P3s and P4s."""
    from datetime import timedelta

    from django.utils import timezone

    def opened(hours_ago: int, **kwargs) -> Incident:
        incident = make_incident(reporter=reporter, category=network_category, **kwargs)
        Incident.objects.filter(pk=incident.pk).update(opened_at=timezone.now() - timedelta(hours=hours_ago))
        return incident

    old_p4 = opened(9, impact="low", urgency="low")
    new_p3 = opened(1, impact="medium", urgency="medium")
    old_p1 = opened(5, impact="high", urgency="high")
    older_p1 = opened(7, impact="high", urgency="high")
    client.force_login(agent)
    page = client.get(f"{CHANGELIST}?assigned=none&state__exact=new").content.decode()
    order = sorted([old_p4, new_p3, old_p1, older_p1], key=lambda i: page.index(i.reference))
    assert [i.priority for i in order] == [1, 1, 3, 4]
    assert order[:2] == [older_p1, old_p1]
    # Sorting by a column still does what the user asked.
    by_age = client.get(f"{CHANGELIST}?assigned=none&state__exact=new&o=8").content.decode()
    assert by_age.index(new_p3.reference) < by_age.index(old_p4.reference)
