"""The knowledge base in the API: who reads which known errors and articles (the portal's and the
admin's rule), what a text matches, filters and search, and the publish workflow as the admin runs it."""

from __future__ import annotations

import pytest

from core.api.pagination import CursorPagination
from core.tests.api_support import (
    EVERYONE,
    STAFF,
    EndpointContract,
    assert_constant_queries,
    assert_error,
    count_queries,
    result_ids,
)
from knowledge_base import services
from knowledge_base.matching.terms import MAX_TEXT_CHARS
from knowledge_base.models import FixStatus, KnownError
from knowledge_base.workflow import State

from .factories import ArticleFactory, CategoryFactory, KnownErrorFactory

KNOWN_ERRORS = "/api/v1/known-errors/"
ARTICLES = "/api/v1/articles/"
MATCH = f"{KNOWN_ERRORS}match/"


def transition_url(list_url: str, item, name: str) -> str:
    return f"{list_url}{item.pk}/transitions/{name}/"


# --- who sees what ----------------------------------------------------------------------------------
class TestPublishedPublicKnownError(EndpointContract):
    """What the portal offers end users is readable by everyone signed in."""

    list_url = KNOWN_ERRORS
    readers = EVERYONE

    def make(self, actors):
        return KnownErrorFactory(title="VPN error 809 behind home routers", public=True)


class TestPublishedInternalKnownError(EndpointContract):
    """A published known error whose workaround is not public is the desk's."""

    list_url = KNOWN_ERRORS
    readers = STAFF

    def make(self, actors):
        return KnownErrorFactory(title="Print spooler hangs on PRN-03", public=False)


class TestDraftKnownError(EndpointContract):
    """Drafts are listed for staff as in the admin; end users never hear of them, public or not."""

    list_url = KNOWN_ERRORS
    readers = STAFF

    def make(self, actors):
        return KnownErrorFactory(title="Teams calls drop after an hour", state=State.DRAFT, public=True)


class TestPublicArticle(EndpointContract):
    list_url = ARTICLES
    readers = EVERYONE

    def make(self, actors):
        return ArticleFactory(title="How to change your password", audience="public")


class TestInternalArticle(EndpointContract):
    list_url = ARTICLES
    readers = STAFF

    def make(self, actors):
        return ArticleFactory(title="Runbook: restarting the print spooler", audience="internal")


class TestRetiredPublicArticle(EndpointContract):
    list_url = ARTICLES
    readers = STAFF

    def make(self, actors):
        return ArticleFactory(title="Dialling in to the old modem pool", audience="public", state=State.RETIRED)


def test_end_users_read_a_known_error_without_its_root_cause_or_recurrence(actors):
    item = KnownErrorFactory(root_cause="The concentrator's idle timeout is 30 minutes.")
    seen_by_reporter = actors.client("reporter").get(f"{KNOWN_ERRORS}{item.pk}/").json()
    seen_by_agent = actors.client("desk_agent").get(f"{KNOWN_ERRORS}{item.pk}/").json()
    assert seen_by_reporter["workaround"] == item.workaround
    for internal in ("root_cause", "public", "needs_permanent_fix", "recurrence_count"):
        assert internal not in seen_by_reporter
        assert internal in seen_by_agent
    assert seen_by_agent["root_cause"] == item.root_cause


# --- matching ---------------------------------------------------------------------------------------
@pytest.fixture
def kb(db):
    return {
        "vpn": KnownErrorFactory(
            title="VPN fails with error 809 behind home routers",
            symptoms="The VPN client stops at connecting and shows error 809.",
            workaround="Switch the VPN protocol to SSL/TLS and connect again.",
        ),
        "outlook": KnownErrorFactory(
            title="Outlook keeps asking for the password in a loop",
            symptoms="A sign-in window keeps coming back in Outlook; webmail works.",
            workaround="Remove the cached credentials in Credential Manager.",
        ),
        "internal_vpn": KnownErrorFactory(
            title="VPN concentrator drops tunnels at error 809 under load",
            symptoms="Many VPN users get error 809 at once.",
            workaround="Fail over to the second concentrator.",
            public=False,
        ),
        "draft_vpn": KnownErrorFactory(
            title="VPN error 809 on the new client build", symptoms="VPN error 809 after the upgrade.",
            state=State.DRAFT,
        ),
        "internal_article": ArticleFactory(
            title="Runbook: VPN concentrator failover after error 809",
            body="Fail the VPN over to the standby concentrator.", audience="internal",
        ),
    }


def suggestions(response) -> list[tuple[str, int]]:
    assert response.status_code == 200, response.content[:500]
    return [(row["kind"], row["id"]) for row in response.json()["results"]]


def test_match_ranks_the_known_error_whose_symptoms_fit_first(actors, kb):
    response = actors.client("desk_agent").post(MATCH, {"text": "My VPN client shows error 809 when connecting"})
    found = suggestions(response)
    assert found[0] == ("known_error", kb["vpn"].pk)
    best = response.json()["results"][0]
    assert best["title"] == kb["vpn"].title
    assert "SSL/TLS" in best["excerpt"]
    assert best["score"] > 0
    assert best["url"].endswith(f"{KNOWN_ERRORS}{kb['vpn'].pk}/")
    scores = [row["score"] for row in response.json()["results"]]
    assert scores == sorted(scores, reverse=True)


def test_reporter_match_suggests_only_public_known_errors(actors, kb):
    found = suggestions(actors.client("reporter").post(MATCH, {"text": "VPN error 809 concentrator runbook"}))
    assert ("known_error", kb["vpn"].pk) in found
    assert ("known_error", kb["internal_vpn"].pk) not in found
    assert ("article", kb["internal_article"].pk) not in found


def test_staff_match_also_suggests_internal_known_errors_and_articles(actors, kb):
    found = suggestions(actors.client("team_resolver").post(MATCH, {"text": "VPN error 809 concentrator runbook",
                                                                     "limit": 10}))
    assert {("known_error", kb["internal_vpn"].pk), ("article", kb["internal_article"].pk)} <= set(found)


def test_match_never_suggests_a_draft(actors, kb):
    found = suggestions(actors.client("incident_manager").post(MATCH, {"text": "VPN error 809 new client build",
                                                                        "limit": 50}))
    assert ("known_error", kb["draft_vpn"].pk) not in found


def test_match_returns_at_most_the_limit(actors, kb):
    assert len(suggestions(actors.client("desk_agent").post(MATCH, {"text": "VPN error 809", "limit": 1}))) == 1


@pytest.mark.parametrize(("body", "field"), [
    ({}, "text"),
    ({"text": ""}, "text"),
    ({"text": "   "}, "text"),
    ({"text": "x" * (MAX_TEXT_CHARS + 1)}, "text"),
    ({"text": "VPN", "limit": 0}, "limit"),
    ({"text": "VPN", "limit": 51}, "limit"),
])
def test_match_refuses_an_empty_or_oversized_text_with_400(actors, body, field):
    body = assert_error(actors.client("reporter").post(MATCH, body), 400, "invalid")
    assert field in body["errors"]


def test_match_of_words_that_say_nothing_is_an_empty_list(actors, kb):
    assert suggestions(actors.client("reporter").post(MATCH, {"text": "hello, please help asap, thanks"})) == []


def test_match_needs_a_signed_in_caller(actors):
    assert_error(actors.client("anonymous").post(MATCH, {"text": "VPN"}), 401)


# --- filters, search, ordering ------------------------------------------------------------------------
def test_known_errors_filter_by_state_fix_status_category_and_service(actors):
    network = CategoryFactory(name="Network")
    planned = KnownErrorFactory(fix_status=FixStatus.PLANNED, category=network, affected_service="VPN")
    fixed = KnownErrorFactory(fix_status=FixStatus.FIXED, affected_service="E-mail")
    draft = KnownErrorFactory(state=State.DRAFT)
    client = actors.client("desk_agent")
    assert set(result_ids(client.get(KNOWN_ERRORS, {"state": "draft"}))) == {draft.pk}
    assert set(result_ids(client.get(KNOWN_ERRORS, {"fix_status": ["planned", "fixed"]}))) == {planned.pk, fixed.pk}
    assert result_ids(client.get(KNOWN_ERRORS, {"category": network.pk})) == [planned.pk]
    assert result_ids(client.get(KNOWN_ERRORS, {"affected_service": "vpn"})) == [planned.pk]
    assert_error(client.get(KNOWN_ERRORS, {"state": "lost"}), 400, "invalid")


def test_known_errors_search_what_users_see_but_not_the_root_cause(actors):
    vpn = KnownErrorFactory(title="VPN drops", symptoms="The tunnel closes every 30 minutes.",
                            root_cause="Concentrator idle timeout.")
    KnownErrorFactory(title="Printer offline")
    client = actors.client("desk_agent")
    assert result_ids(client.get(KNOWN_ERRORS, {"search": "tunnel"})) == [vpn.pk]
    assert result_ids(client.get(KNOWN_ERRORS, {"search": "concentrator"})) == []


def test_known_errors_are_listed_by_title_or_by_the_ordering_asked_for(actors):
    b = KnownErrorFactory(title="B: second")
    a = KnownErrorFactory(title="A: first")
    client = actors.client("reporter")
    assert result_ids(client.get(KNOWN_ERRORS)) == [a.pk, b.pk]
    assert result_ids(client.get(KNOWN_ERRORS, {"ordering": "-title"})) == [b.pk, a.pk]
    # Only the listed fields order a list (none that end users are not shown): others are ignored.
    assert result_ids(client.get(KNOWN_ERRORS, {"ordering": "-recurrence_count"})) == [a.pk, b.pk]


def test_a_reporter_cannot_learn_an_internal_flag_by_filtering_on_it(actors):
    flagged = KnownErrorFactory(needs_permanent_fix=True)
    quiet = KnownErrorFactory(needs_permanent_fix=False)
    reporter = actors.client("reporter")
    # The filter is not theirs: it is ignored, so both rows come back either way.
    assert set(result_ids(reporter.get(KNOWN_ERRORS, {"needs_permanent_fix": "true"}))) == {flagged.pk, quiet.pk}
    assert set(result_ids(actors.client("desk_agent").get(KNOWN_ERRORS, {"needs_permanent_fix": "true"}))) == {
        flagged.pk}


def test_articles_filter_by_kind_and_audience_and_search_their_body(actors):
    faq = ArticleFactory(kind="faq", body="Where do I find the Wi-Fi password?")
    internal = ArticleFactory(kind="how_to", audience="internal", body="Rotate the Wi-Fi key quarterly.")
    client = actors.client("desk_agent")
    assert result_ids(client.get(ARTICLES, {"kind": "faq"})) == [faq.pk]
    assert result_ids(client.get(ARTICLES, {"audience": "internal"})) == [internal.pk]
    assert set(result_ids(client.get(ARTICLES, {"search": "wi-fi"}))) == {faq.pk, internal.pk}
    assert result_ids(actors.client("reporter").get(ARTICLES, {"search": "wi-fi"})) == [faq.pk]


def test_a_list_walks_its_pages_by_cursor(actors):
    made = [KnownErrorFactory(title=f"Known error {n:03d}") for n in range(7)]
    client = actors.client("reporter")
    seen, url = [], KNOWN_ERRORS + "?page_size=3"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == [item.pk for item in made]


# --- the publish workflow ---------------------------------------------------------------------------
def _draft(actors) -> KnownError:
    return services.known_error_create(user=actors["desk_agent"], title="VPN drops every 30 minutes",
                                       symptoms="The VPN client disconnects.", workaround="Reconnect.")


def test_staff_send_a_draft_for_review_and_the_manager_publishes_it(actors):
    item = _draft(actors)
    submitted = actors.client("desk_agent").post(transition_url(KNOWN_ERRORS, item, "submit"), {})
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["state"] == State.IN_REVIEW
    published = actors.client("incident_manager").post(transition_url(KNOWN_ERRORS, item, "publish"),
                                                       {"reason": "Checked with Network", "from_state": "in_review"})
    assert published.status_code == 200, published.content
    assert published.json()["state"] == State.PUBLISHED
    item.refresh_from_db()
    latest = item.history.order_by("-history_id").first()
    assert latest.history_user == actors["incident_manager"]
    assert latest.history_change_reason == "Publish: Checked with Network"


def test_the_transitions_offered_are_the_roles_own(actors):
    item = services.transition(item=_draft(actors), user=actors["desk_agent"], name="submit")
    url = f"{KNOWN_ERRORS}{item.pk}/transitions/"
    by_agent = actors.client("desk_agent").get(url)
    by_manager = actors.client("incident_manager").get(url)
    assert [t["name"] for t in by_agent.json()] == ["return_to_draft"]
    assert [t["name"] for t in by_manager.json()] == ["return_to_draft", "publish"]
    assert by_manager.json()[0] == {"name": "return_to_draft", "label": "Back to draft", "target": "draft",
                                    "needs_reason": True, "inputs": []}


def test_refused_publish_is_409_with_the_transitions_allowed_now(actors):
    item = services.transition(item=_draft(actors), user=actors["desk_agent"], name="submit")
    body = assert_error(actors.client("desk_agent").post(transition_url(KNOWN_ERRORS, item, "publish"), {}),
                        409, "transition_refused")
    assert body["allowed_transitions"] == ["return_to_draft"]
    assert body["state"] == State.IN_REVIEW
    item.refresh_from_db()
    assert item.state == State.IN_REVIEW


def test_a_draft_without_content_cannot_be_sent_for_review(actors):
    item = _draft(actors)
    KnownError.objects.filter(pk=item.pk).update(workaround="")
    body = assert_error(actors.client("desk_agent").post(transition_url(KNOWN_ERRORS, item, "submit"), {}), 409)
    assert body["detail"] == "Write its content before sending it for review."


def test_retiring_without_a_reason_is_refused(actors):
    item = KnownErrorFactory()
    body = assert_error(actors.client("incident_manager").post(transition_url(KNOWN_ERRORS, item, "retire"), {}),
                        409, "transition_refused")
    assert "reason" in body["detail"].lower()
    assert body["allowed_transitions"] == ["retire", "revise"]


def test_a_transition_on_a_state_nobody_looked_at_is_409_stale(actors):
    item = services.transition(item=_draft(actors), user=actors["desk_agent"], name="submit")
    body = assert_error(actors.client("incident_manager").post(transition_url(KNOWN_ERRORS, item, "publish"),
                                                               {"from_state": "draft"}), 409, "stale")
    assert body["state"] == State.IN_REVIEW


def test_an_article_is_published_through_the_same_workflow(actors):
    article = services.article_create(user=actors["team_resolver"], title="How to reconnect the VPN",
                                      body="Open the client and choose Reconnect.")
    assert (actors.client("team_resolver").post(transition_url(ARTICLES, article, "submit"), {}).json()["state"]
            == State.IN_REVIEW)
    client = actors.client("incident_manager")
    assert client.post(transition_url(ARTICLES, article, "publish"), {}).json()["state"] == State.PUBLISHED


def test_a_reporter_may_not_retire_what_they_can_read(actors):
    item = KnownErrorFactory()
    reporter = actors.client("reporter")
    assert reporter.get(f"{KNOWN_ERRORS}{item.pk}/transitions/").json() == []
    body = assert_error(reporter.post(transition_url(KNOWN_ERRORS, item, "retire"), {"reason": "Not mine"}), 409)
    assert body["allowed_transitions"] == []
    item.refresh_from_db()
    assert item.state == State.PUBLISHED


def test_a_reporter_gets_404_for_transitions_of_a_draft(actors):
    item = _draft(actors)
    assert_error(actors.client("reporter").post(transition_url(KNOWN_ERRORS, item, "submit"), {}), 404, "not_found")


def test_the_lists_are_read_only(actors):
    item = KnownErrorFactory()
    manager = actors.client("incident_manager")
    assert manager.post(KNOWN_ERRORS, {"title": "New"}).status_code == 405
    assert manager.patch(f"{KNOWN_ERRORS}{item.pk}/", {"title": "Changed"}).status_code == 405
    assert manager.delete(f"{ARTICLES}{ArticleFactory().pk}/").status_code == 405


# --- query counts ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "url", "role", "make"), [
    ("api.knowledge.known_errors", KNOWN_ERRORS, "desk_agent",
     lambda n: KnownErrorFactory.create_batch(n, category=CategoryFactory(name="Network"))),
    ("api.knowledge.known_errors.reporter", KNOWN_ERRORS, "reporter",
     lambda n: KnownErrorFactory.create_batch(n, category=CategoryFactory(name="Network"))),
    ("api.knowledge.articles", ARTICLES, "desk_agent",
     lambda n: ArticleFactory.create_batch(n, category=CategoryFactory(name="Network"))),
])
def test_a_list_costs_the_same_queries_for_1_and_for_50_rows(actors, name, url, role, make):
    client = actors.client(role)
    client.get(url)  # the token's first use writes its last-used time: not part of a list's cost
    make(1)
    one, response = count_queries(lambda: client.get(url))
    assert len(result_ids(response)) == 1
    make(49)
    many, response = count_queries(lambda: client.get(url))
    assert len(result_ids(response)) == min(50, CursorPagination.page_size)
    assert_constant_queries(name, one, many)
