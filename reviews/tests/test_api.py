"""Post-incident reviews and action items in the API: staff read the reviews of incidents they may
see (a confidential incident's review stays with its team and the incident managers), the owner or
a manager edits the narrative until it is published, and transitions follow the workflow's roles."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.api.pagination import CursorPagination
from core.tests.api_support import (
    STAFF,
    EndpointContract,
    assert_constant_queries,
    assert_error,
    count_queries,
    result_ids,
)
from incidents.tests.factories import CategoryFactory, make_incident
from reviews import services
from reviews.api.serializers import TEXT_LIMIT
from reviews.models import PostIncidentReview, TimelineEntry
from reviews.workflow import ActionState, ReviewState

from .factories import ActionItemFactory, ReviewFactory

REVIEWS = "/api/v1/reviews/"
ACTION_ITEMS = "/api/v1/action-items/"
REPORTERS = frozenset({"reporter", "other_reporter"})
CONFIDENTIAL_READERS = frozenset({"team_resolver", "incident_manager"})


def incident_of(actors, *, confidential: bool = False, **kwargs):
    """A P1 incident of the actors' team (Network), or of its confidential Security category."""
    name = "Security" if confidential else "Network"
    category = CategoryFactory(name=name, default_team=actors.team, confidential=confidential)
    return make_incident(reporter=actors["reporter"], category=category, impact="high", urgency="high", **kwargs)


def review_of(actors, *, confidential: bool = False, owner_role: str = "team_resolver", **kwargs):
    return ReviewFactory(incident=incident_of(actors, confidential=confidential), owner=actors[owner_role], **kwargs)


def detail(url: str, obj) -> str:
    return f"{url}{obj.pk}/"


def transition_url(url: str, obj, name: str) -> str:
    return f"{url}{obj.pk}/transitions/{name}/"


# --- who sees what ----------------------------------------------------------------------------------
class TestReview(EndpointContract):
    """Staff read every review of an incident they may see; the owner and the managers edit it.
    Reporters are refused the endpoint, even for the review of their own incident."""

    list_url = REVIEWS
    readers = STAFF
    updaters = frozenset({"team_resolver", "incident_manager"})
    list_forbidden = REPORTERS

    def make(self, actors):
        return review_of(actors, owner_role="team_resolver")

    def update_data(self, actors, obj):
        return {"summary": "The VPN concentrator ran out of tunnels."}


class TestReviewOfConfidentialIncident(EndpointContract):
    """Only the incident's team and the incident managers know this review exists."""

    list_url = REVIEWS
    readers = CONFIDENTIAL_READERS
    updaters = frozenset({"incident_manager"})
    list_forbidden = REPORTERS

    def make(self, actors):
        return review_of(actors, confidential=True, owner_role="incident_manager")

    def update_data(self, actors, obj):
        return {"root_cause": "A leaked credential."}


class TestActionItem(EndpointContract):
    list_url = ACTION_ITEMS
    readers = STAFF
    list_forbidden = REPORTERS

    def make(self, actors):
        return ActionItemFactory(review=review_of(actors), owner=actors["team_resolver"])


class TestActionItemOfConfidentialIncident(EndpointContract):
    list_url = ACTION_ITEMS
    readers = CONFIDENTIAL_READERS
    list_forbidden = REPORTERS

    def make(self, actors):
        return ActionItemFactory(review=review_of(actors, confidential=True, owner_role="incident_manager"),
                                 owner=actors["incident_manager"])


def test_review_of_confidential_incident_is_404_for_an_outsider(actors):
    review = review_of(actors, confidential=True, owner_role="incident_manager")
    missing = PostIncidentReview(pk=review.pk + 1000)
    for role in ("desk_agent", "other_resolver"):
        client = actors.client(role)
        for url in (detail(REVIEWS, review), f"{detail(REVIEWS, review)}transitions/"):
            assert assert_error(client.get(url), 404, "not_found") == assert_error(
                client.get(url.replace(f"/{review.pk}/", f"/{missing.pk}/")), 404, "not_found")
        assert_error(client.post(transition_url(REVIEWS, review, "submit"), {}), 404, "not_found")
        assert_error(client.patch(detail(REVIEWS, review), {"summary": "Seen it"}), 404, "not_found")
        assert review.pk not in result_ids(client.get(REVIEWS, {"incident": review.incident.reference}))
    review.refresh_from_db()
    assert review.state == ReviewState.DRAFT and review.summary == ""


def test_reporters_are_refused_the_reviews_even_of_their_own_incident(actors):
    review = review_of(actors)
    assert review.incident.reporter == actors["reporter"]
    assert_error(actors.client("reporter").get(REVIEWS), 403, "permission_denied")
    assert_error(actors.client("reporter").get(ACTION_ITEMS), 403, "permission_denied")
    assert_error(actors.client("reporter").get(detail(REVIEWS, review)), 403, "permission_denied")


def test_a_review_shows_its_timeline_and_action_items(actors):
    review = review_of(actors)
    TimelineEntry.objects.create(review=review, at=timezone.now(), text="Paged the Network team",
                                 actor=actors["desk_agent"])
    item = ActionItemFactory(review=review, owner=actors["team_resolver"], team=actors.team,
                             link_url="javascript:alert(1)")
    body = actors.client("desk_agent").get(detail(REVIEWS, review)).json()
    assert body["reference"] == review.reference
    assert body["incident"]["reference"] == review.incident.reference
    assert body["owner"]["username"] == actors["team_resolver"].username
    assert "Paged the Network team" in [entry["text"] for entry in body["timeline"]]
    assert [row["id"] for row in body["action_items"]] == [item.pk]
    assert body["action_items"][0]["team"] == {"id": actors.team.pk, "name": actors.team.name}
    # Only web addresses are links: anything else would run as script where a client renders it.
    assert body["action_items"][0]["link_url"] == ""
    assert body["open_actions"] == 1 and body["overdue_actions"] == 0


# --- editing the narrative --------------------------------------------------------------------------
def test_the_owner_edits_the_narrative_and_history_names_the_fields(actors):
    review = review_of(actors)
    response = actors.client("team_resolver").patch(detail(REVIEWS, review), {
        "root_cause": "The concentrator's tunnel limit.", "lessons_learned": "Alert on tunnel count.",
        "summary": ""})
    assert response.status_code == 200, response.content
    assert response.json()["root_cause"] == "The concentrator's tunnel limit."
    review.refresh_from_db()
    assert review.lessons_learned == "Alert on tunnel count."
    latest = review.history.order_by("-history_id").first()
    assert latest.history_user == actors["team_resolver"]
    assert latest.history_change_reason == "Edited lessons_learned, root_cause"


def test_a_patch_does_not_move_the_state_or_the_owner(actors):
    review = review_of(actors)
    response = actors.client("incident_manager").patch(detail(REVIEWS, review), {
        "state": "published", "owner": actors["desk_agent"].pk, "required": False, "summary": "Short outage."})
    assert response.status_code == 200, response.content
    review.refresh_from_db()
    assert (review.state, review.owner, review.required, review.summary) == (
        ReviewState.DRAFT, actors["team_resolver"], True, "Short outage.")


def test_a_published_review_is_a_record_that_nobody_edits(actors):
    review = review_of(actors, state=ReviewState.PUBLISHED)
    body = assert_error(actors.client("incident_manager").patch(detail(REVIEWS, review), {"summary": "Rewritten"}),
                        403, "permission_denied")
    assert "published" in body["detail"]
    review.refresh_from_db()
    assert review.summary == ""


def test_someone_elses_review_is_read_only_for_a_resolver(actors):
    review = review_of(actors, owner_role="incident_manager")
    body = assert_error(actors.client("team_resolver").patch(detail(REVIEWS, review), {"summary": "Mine now"}), 403)
    assert body["detail"] == f"You may not edit {review.reference}."


def test_an_oversized_narrative_is_refused_with_400(actors):
    review = review_of(actors)
    body = assert_error(actors.client("team_resolver").patch(detail(REVIEWS, review),
                                                            {"root_cause": "x" * (TEXT_LIMIT + 1)}), 400, "invalid")
    assert "root_cause" in body["errors"]


def test_reviews_are_not_created_deleted_or_replaced_through_the_api(actors):
    review = review_of(actors)
    manager = actors.client("incident_manager")
    assert manager.post(REVIEWS, {"incident": review.incident.pk}).status_code == 405
    assert manager.put(detail(REVIEWS, review), {"summary": "All of it"}).status_code == 405
    assert manager.delete(detail(REVIEWS, review)).status_code == 405


# --- review transitions -----------------------------------------------------------------------------
def test_the_owner_submits_and_an_incident_manager_publishes(actors):
    review = review_of(actors)
    owner = actors.client("team_resolver")
    owner.patch(detail(REVIEWS, review), {"root_cause": "Tunnel limit.", "no_action_reason": "Limit raised already."})
    assert [t["name"] for t in owner.get(f"{detail(REVIEWS, review)}transitions/").json()] == ["submit"]
    submitted = owner.post(transition_url(REVIEWS, review, "submit"), {"from_state": "draft"})
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["state"] == ReviewState.IN_REVIEW
    published = actors.client("incident_manager").post(transition_url(REVIEWS, review, "publish"),
                                                       {"reason": "Signed off"})
    assert published.status_code == 200, published.content
    assert published.json()["state"] == ReviewState.PUBLISHED
    assert published.json()["published_at"]
    review.refresh_from_db()
    latest = review.history.order_by("-history_id").first()
    assert (latest.history_user, latest.history_change_reason) == (actors["incident_manager"], "Publish: Signed off")


def test_refused_review_transition_is_409_with_allowed_transitions(actors, settings):
    settings.ITSM_FOUR_EYES_PUBLISHING = False  # the guards' refusal, from the manager who submitted
    review = review_of(actors, owner_role="incident_manager")
    services.review_transition(review=review, user=actors["incident_manager"], name="submit")
    body = assert_error(actors.client("incident_manager").post(transition_url(REVIEWS, review, "publish"), {}),
                        409, "transition_refused")
    assert "root cause" in body["detail"]
    assert body["allowed_transitions"] == ["request_changes", "publish"]
    assert body["state"] == ReviewState.IN_REVIEW
    review.refresh_from_db()
    assert review.state == ReviewState.IN_REVIEW


def test_only_an_incident_manager_is_offered_the_sign_off(actors):
    review = review_of(actors)
    services.review_transition(review=review, user=actors["team_resolver"], name="submit")
    url = f"{detail(REVIEWS, review)}transitions/"
    assert actors.client("team_resolver").get(url).json() == []
    assert [t["name"] for t in actors.client("incident_manager").get(url).json()] == ["request_changes", "publish"]
    body = assert_error(actors.client("team_resolver").post(transition_url(REVIEWS, review, "request_changes"), {}),
                        409, "transition_refused")
    assert body["allowed_transitions"] == []


def test_a_review_moved_on_since_it_was_loaded_is_409_stale(actors):
    review = review_of(actors)
    services.review_transition(review=review, user=actors["team_resolver"], name="submit")
    body = assert_error(actors.client("incident_manager").post(transition_url(REVIEWS, review, "request_changes"),
                                                               {"from_state": "draft"}), 409, "stale")
    assert body["state"] == ReviewState.IN_REVIEW


# --- action item transitions ------------------------------------------------------------------------
def test_wont_do_without_reason_is_409(actors):
    item = ActionItemFactory(review=review_of(actors), owner=actors["other_resolver"])
    body = assert_error(actors.client("team_resolver").post(transition_url(ACTION_ITEMS, item, "drop"),
                                                            {"reason": " "}), 409, "transition_refused")
    assert body["detail"] == "Say why this action will not be done."
    assert body["allowed_transitions"] == ["start", "complete", "drop"]
    item.refresh_from_db()
    assert item.state == ActionState.OPEN


def test_wont_do_keeps_its_reason(actors):
    item = ActionItemFactory(review=review_of(actors), owner=actors["other_resolver"])
    response = actors.client("team_resolver").post(transition_url(ACTION_ITEMS, item, "drop"),
                                                   {"reason": "The service is retired in May."})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == ActionState.WONT_DO
    assert response.json()["wont_do_reason"] == "The service is retired in May."
    item.refresh_from_db()
    assert item.wont_do_reason == "The service is retired in May."


def test_the_item_owner_completes_it_but_may_not_drop_it(actors):
    item = ActionItemFactory(review=review_of(actors, owner_role="incident_manager"), owner=actors["other_resolver"])
    owner = actors.client("other_resolver")
    assert [t["name"] for t in owner.get(f"{detail(ACTION_ITEMS, item)}transitions/").json()] == ["start", "complete"]
    assert_error(owner.post(transition_url(ACTION_ITEMS, item, "drop"), {"reason": "Too hard"}), 409)
    done = owner.post(transition_url(ACTION_ITEMS, item, "complete"), {})
    assert done.status_code == 200, done.content
    assert done.json()["state"] == ActionState.DONE and done.json()["completed_at"]


def test_someone_with_no_part_in_the_item_may_not_work_it(actors):
    item = ActionItemFactory(review=review_of(actors, owner_role="incident_manager"), owner=actors["team_resolver"])
    agent = actors.client("desk_agent")
    assert agent.get(f"{detail(ACTION_ITEMS, item)}transitions/").json() == []
    assert_error(agent.post(transition_url(ACTION_ITEMS, item, "start"), {}), 409, "transition_refused")


# --- filters ----------------------------------------------------------------------------------------
def test_reviews_filter_by_state_owner_incident_and_overdue_actions(actors):
    mine = review_of(actors, owner_role="team_resolver")
    theirs = review_of(actors, owner_role="incident_manager", state=ReviewState.IN_REVIEW)
    ActionItemFactory(review=theirs, owner=actors["incident_manager"],
                      due_date=timezone.localdate() - datetime.timedelta(days=3))
    client = actors.client("team_resolver")
    assert result_ids(client.get(REVIEWS, {"state": "in_review"})) == [theirs.pk]
    assert result_ids(client.get(REVIEWS, {"mine": "true"})) == [mine.pk]
    assert result_ids(client.get(REVIEWS, {"owner": actors["incident_manager"].pk})) == [theirs.pk]
    assert result_ids(client.get(REVIEWS, {"incident": mine.incident.reference.lower()})) == [mine.pk]
    assert result_ids(client.get(REVIEWS, {"has_overdue_actions": "true"})) == [theirs.pk]
    assert result_ids(client.get(REVIEWS, {"has_overdue_actions": "false"})) == [mine.pk]
    assert result_ids(client.get(REVIEWS)) == [theirs.pk, mine.pk]  # newest first
    assert_error(client.get(REVIEWS, {"state": "lost"}), 400, "invalid")


def test_action_items_filter_overdue_mine_team_and_incident(actors):
    today = timezone.localdate()
    review = review_of(actors)
    late = ActionItemFactory(review=review, owner=actors["team_resolver"], due_date=today - datetime.timedelta(days=1))
    late_but_done = ActionItemFactory(review=review, owner=actors["team_resolver"],
                                      due_date=today - datetime.timedelta(days=9), state=ActionState.DONE)
    teams = ActionItemFactory(review=review, owner=actors["incident_manager"], team=actors.team)
    other = ActionItemFactory(review=review_of(actors), owner=actors["other_resolver"], team=actors.other_team)
    client = actors.client("team_resolver")
    assert result_ids(client.get(ACTION_ITEMS, {"overdue": "true"})) == [late.pk]
    assert late.pk not in result_ids(client.get(ACTION_ITEMS, {"overdue": "false"}))
    assert set(result_ids(client.get(ACTION_ITEMS, {"mine": "true"}))) == {late.pk, late_but_done.pk}
    assert result_ids(client.get(ACTION_ITEMS, {"my_teams": "true"})) == [teams.pk]
    assert result_ids(client.get(ACTION_ITEMS, {"team": actors.other_team.pk})) == [other.pk]
    assert other.pk not in result_ids(client.get(ACTION_ITEMS, {"incident": review.incident.reference}))
    assert set(result_ids(client.get(ACTION_ITEMS, {"review": review.pk}))) == {late.pk, late_but_done.pk, teams.pk}
    assert result_ids(client.get(ACTION_ITEMS, {"state": "done"})) == [late_but_done.pk]
    body = client.get(detail(ACTION_ITEMS, late)).json()
    assert body["overdue"] is True and body["review"]["reference"] == review.reference


# --- query counts ----------------------------------------------------------------------------------
def _reviews(actors, n: int) -> None:
    for _ in range(n):
        review = review_of(actors)
        ActionItemFactory(review=review, owner=actors["team_resolver"], team=actors.team)


def _action_items(actors, n: int) -> None:
    review = review_of(actors)
    ActionItemFactory.create_batch(n, review=review, owner=actors["team_resolver"], team=actors.team)


@pytest.mark.parametrize(("name", "url", "role", "make"), [
    ("api.reviews.reviews", REVIEWS, "desk_agent", _reviews),
    ("api.reviews.action_items", ACTION_ITEMS, "other_resolver", _action_items),
])
def test_a_list_costs_the_same_queries_for_1_and_for_50_rows(actors, name, url, role, make):
    client = actors.client(role)
    client.get(url)  # the token's first use writes its last-used time: not part of a list's cost
    make(actors, 1)
    one, response = count_queries(lambda: client.get(url))
    assert len(result_ids(response)) == 1
    make(actors, 49)
    many, response = count_queries(lambda: client.get(url))
    assert len(result_ids(response)) == min(50, CursorPagination.page_size)
    assert_constant_queries(name, one, many)
