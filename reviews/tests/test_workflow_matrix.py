"""The review and action-item state machines, as the SOP describes them: every state × every
transition × every role.

A review's owner (or an incident manager) submits it; only an incident manager requests changes on
it or publishes it, and only once it has a root cause and an action item or a reason for none.
An action item is worked (started, completed, reopened) by its owner, a member of its team, the
review's owner or an incident manager; dropping it ("won't do") is the review owner's or a
manager's call and needs a reason. A refused attempt changes nothing.
"""

from __future__ import annotations

import pytest

from core.errors import WorkflowError
from incidents import roles
from incidents.tests.factories import UserFactory
from reviews import services
from reviews.models import ActionItem, PostIncidentReview
from reviews.workflow import ActionState, ReviewState

from .factories import ActionItemFactory, resolved_incident

pytestmark = pytest.mark.django_db

# --- Reviews (reviews/workflow.py: ReviewStateMachine) ------------------------------------------
REVIEW_SOURCES = {
    "submit": {ReviewState.DRAFT},
    "request_changes": {ReviewState.IN_REVIEW},
    "publish": {ReviewState.IN_REVIEW},
}
REVIEW_TARGETS = {
    "submit": ReviewState.IN_REVIEW, "request_changes": ReviewState.DRAFT, "publish": ReviewState.PUBLISHED,
}
# Who may take each transition on a review owned by `review_owner` (a resolver, not a manager).
REVIEW_ROLES_ALLOWED = {
    "submit": {"review_owner", "manager"},
    "request_changes": {"manager"},
    "publish": {"manager"},
}
REVIEW_ROLES = ["reporter", "agent", "resolver", "review_owner", "manager"]

# --- Action items (reviews/workflow.py: ActionItemStateMachine) ---------------------------------
ACTION_SOURCES = {
    "start": {ActionState.OPEN},
    "complete": {ActionState.OPEN, ActionState.IN_PROGRESS},
    "drop": {ActionState.OPEN, ActionState.IN_PROGRESS},
    "reopen": {ActionState.DONE, ActionState.WONT_DO},
}
ACTION_TARGETS = {
    "start": ActionState.IN_PROGRESS, "complete": ActionState.DONE, "drop": ActionState.WONT_DO,
    "reopen": ActionState.OPEN,
}
# Who may take each transition on an item owned by `item_owner`, assigned to the Platform team
# (`team_member` is on it; `resolver` and `agent` are not), on a review owned by `review_owner`.
ACTION_ROLES_ALLOWED = {
    "start": {"item_owner", "team_member", "review_owner", "manager"},
    "complete": {"item_owner", "team_member", "review_owner", "manager"},
    "drop": {"review_owner", "manager"},
    "reopen": {"item_owner", "team_member", "review_owner", "manager"},
}
ACTION_ROLES = ["reporter", "agent", "resolver", "item_owner", "team_member", "review_owner", "manager"]


@pytest.fixture
def review_owner(network_team):
    """A resolver who owns the review (an incident manager handed it to them)."""
    return UserFactory(username="olga", role=roles.RESOLVER, team=network_team)


@pytest.fixture
def item_owner(network_team):
    """A resolver who owns the action item, though it is assigned to another team."""
    return UserFactory(username="ivan", role=roles.RESOLVER, team=network_team)


@pytest.fixture
def team_member(other_resolver):
    """A member of the Platform team the action item is assigned to."""
    return other_resolver


@pytest.fixture
def review_in(reporter, agent, resolver, manager, review_owner, network_category):
    """Build a review in a given state the way people would: a resolved P1, a review started by an
    incident manager for `review_owner`, its root cause written and a reason for no action given."""

    def build(state: str) -> PostIncidentReview:
        incident = resolved_incident(reporter=reporter, category=network_category, desk=agent, resolver=resolver)
        review = services.review_start(incident=incident, user=manager, owner=review_owner)
        review.root_cause = "An expired certificate on the VPN concentrator."
        review.no_action_reason = "Certificate renewal was automated during the incident."
        review = services.review_save_edits(review=review, user=review_owner,
                                            changed=["root_cause", "no_action_reason"])
        steps = {
            ReviewState.DRAFT: [],
            ReviewState.IN_REVIEW: [("submit", review_owner)],
            ReviewState.PUBLISHED: [("submit", review_owner), ("publish", manager)],
        }[state]
        for name, user in steps:
            review = services.review_transition(review=review, user=user, name=name)
        assert review.state == state
        return review

    return build


@pytest.fixture
def action_item_in(review_in, review_owner, item_owner, platform_team):
    """Build an action item in a given state: added to a draft review, then worked through the services."""

    def build(state: str) -> ActionItem:
        item = ActionItemFactory(review=review_in(ReviewState.DRAFT), owner=item_owner, team=platform_team)
        steps = {
            ActionState.OPEN: [],
            ActionState.IN_PROGRESS: [("start", item_owner, "")],
            ActionState.DONE: [("start", item_owner, ""), ("complete", item_owner, "")],
            ActionState.WONT_DO: [("drop", review_owner, "A vendor patch replaces it")],
        }[state]
        for name, user, reason in steps:
            item = services.action_item_transition(item=item, user=user, name=name, reason=reason)
        assert item.state == state
        return item

    return build


def _assert_one_history_row_by(obj, user, history_before: int) -> None:
    assert obj.history.count() == history_before + 1, "one history row per transition"
    latest = obj.history.order_by("-history_id").first()
    assert latest.history_user == user
    assert latest.history_change_reason.endswith(": test")


@pytest.mark.parametrize("role", REVIEW_ROLES)
@pytest.mark.parametrize("name", sorted(REVIEW_SOURCES))
@pytest.mark.parametrize("state", [s.value for s in ReviewState])
def test_every_review_transition_from_every_state_for_every_role(request, review_in, state, name, role):
    review = review_in(state)
    user = request.getfixturevalue(role)
    history_before = review.history.count()
    allowed = state in REVIEW_SOURCES[name] and role in REVIEW_ROLES_ALLOWED[name]

    if allowed:
        services.review_transition(review=review, user=user, name=name, reason="test")
        after = PostIncidentReview.objects.get(pk=review.pk)
        assert after.state == REVIEW_TARGETS[name]
        _assert_one_history_row_by(after, user, history_before)
    else:
        with pytest.raises(WorkflowError) as refused:
            services.review_transition(review=review, user=user, name=name, reason="test")
        assert refused.value.message
        review.refresh_from_db()
        assert review.state == state
        assert review.history.count() == history_before


@pytest.mark.parametrize("role", ACTION_ROLES)
@pytest.mark.parametrize("name", sorted(ACTION_SOURCES))
@pytest.mark.parametrize("state", [s.value for s in ActionState])
def test_every_action_item_transition_from_every_state_for_every_role(request, action_item_in, state, name, role):
    item = action_item_in(state)
    user = request.getfixturevalue(role)
    history_before = item.history.count()
    allowed = state in ACTION_SOURCES[name] and role in ACTION_ROLES_ALLOWED[name]

    if allowed:
        services.action_item_transition(item=item, user=user, name=name, reason="test")
        after = ActionItem.objects.get(pk=item.pk)
        assert after.state == ACTION_TARGETS[name]
        _assert_one_history_row_by(after, user, history_before)
        if name == "drop":
            assert after.wont_do_reason == "test"
    else:
        with pytest.raises(WorkflowError) as refused:
            services.action_item_transition(item=item, user=user, name=name, reason="test")
        assert refused.value.message
        item.refresh_from_db()
        assert item.state == state
        assert item.history.count() == history_before


@pytest.mark.parametrize("missing", ["root_cause", "no_action_reason"])
def test_publishing_a_review_without_a_root_cause_or_an_action_is_refused(review_in, review_owner, manager, missing):
    review = review_in(ReviewState.IN_REVIEW)
    setattr(review, missing, "")
    review = services.review_save_edits(review=review, user=review_owner, changed=[missing])
    with pytest.raises(WorkflowError) as refused:
        services.review_transition(review=review, user=manager, name="publish", reason="test")
    assert refused.value.message
    review.refresh_from_db()
    assert review.state == ReviewState.IN_REVIEW


@pytest.mark.parametrize("state", [ActionState.OPEN, ActionState.IN_PROGRESS])
def test_dropping_an_action_item_without_a_reason_is_refused(action_item_in, review_owner, state):
    item = action_item_in(state)
    with pytest.raises(WorkflowError) as refused:
        services.action_item_transition(item=item, user=review_owner, name="drop", reason="  ")
    assert refused.value.message
    item.refresh_from_db()
    assert item.state == state and item.wont_do_reason == ""
