"""The publish workflow of known errors and articles, as the SOP describes it: every state × every
transition × every role, for both kinds of item.

Staff (desk agents, resolvers, incident managers) write items, send them for review, send them back
to draft and revise them; only incident managers publish and retire. Reporters do none of it.
Sending back, retiring and revising each need a reason. A refused attempt changes nothing.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from core.errors import WorkflowError
from knowledge_base import services
from knowledge_base.models import Article, KnownError
from knowledge_base.workflow import State

from .factories import UserFactory

pytestmark = pytest.mark.django_db

# Where each transition may start and where it lands (knowledge_base/workflow.py's docstring).
SOURCES = {
    "submit": {State.DRAFT},
    "return_to_draft": {State.IN_REVIEW},
    "publish": {State.IN_REVIEW},
    "retire": {State.PUBLISHED},
    "revise": {State.PUBLISHED, State.RETIRED},
}
TARGETS = {
    "submit": State.IN_REVIEW, "return_to_draft": State.DRAFT, "publish": State.PUBLISHED,
    "retire": State.RETIRED, "revise": State.DRAFT,
}
# Who may take each transition: editing is the change permission (every staff role), publishing and
# retiring the publish permission (incident managers; knowledge_base migration 0003).
ROLES_ALLOWED = {
    "submit": {"agent", "resolver", "manager"},
    "return_to_draft": {"agent", "resolver", "manager"},
    "publish": {"manager"},
    "retire": {"manager"},
    "revise": {"agent", "resolver", "manager"},
}
ROLES = ["reporter", "agent", "resolver", "manager"]
KINDS = ["known_error", "article"]


@pytest.fixture
def reporter(db):
    # A reporter is not staff: the group only, as the portal's sign-up gives it.
    user = UserFactory(username="kb-reporter")
    user.groups.add(Group.objects.get(name="Reporter"))
    return user


def _create(kind: str, user) -> KnownError | Article:
    if kind == "known_error":
        return services.known_error_create(
            user=user, title="VPN drops every 30 minutes",
            symptoms="The VPN client disconnects and reconnects on its own.",
            root_cause="The concentrator's idle timeout is too short.",
            workaround="Keep a ping running to the office gateway.",
        )
    return services.article_create(user=user, title="How to reconnect the VPN",
                                   body="1. Open the VPN client.\n2. Choose Reconnect.")


@pytest.fixture
def item_in(agent, manager):
    """Build a known error or article in a given state the way people would: through the services."""

    def build(kind: str, state: str):
        item = _create(kind, agent)
        steps = {
            State.DRAFT: [],
            State.IN_REVIEW: [("submit", agent, "")],
            State.PUBLISHED: [("submit", agent, ""), ("publish", manager, "")],
            State.RETIRED: [("submit", agent, ""), ("publish", manager, ""),
                            ("retire", manager, "Fixed by the March patch")],
        }[state]
        for name, user, reason in steps:
            item = services.transition(item=item, user=user, name=name, reason=reason)
        assert item.state == state
        return item

    return build


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(SOURCES))
@pytest.mark.parametrize("state", [s.value for s in State])
@pytest.mark.parametrize("kind", KINDS)
def test_every_transition_from_every_state_for_every_role(request, item_in, kind, state, name, role):
    item = item_in(kind, state)
    user = request.getfixturevalue(role)
    history_before = item.history.count()
    allowed = state in SOURCES[name] and role in ROLES_ALLOWED[name]

    if allowed:
        services.transition(item=item, user=user, name=name, reason="test")
        after = type(item).objects.get(pk=item.pk)
        assert after.state == TARGETS[name]
        assert after.history.count() == history_before + 1, "one history row per transition"
        latest = after.history.order_by("-history_id").first()
        assert latest.history_user == user
        assert latest.history_change_reason.endswith(": test")
    else:
        with pytest.raises(WorkflowError) as refused:
            services.transition(item=item, user=user, name=name, reason="test")
        assert refused.value.message
        item.refresh_from_db()
        assert item.state == state
        assert item.history.count() == history_before


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("state", "name"), [
    (State.IN_REVIEW, "return_to_draft"), (State.PUBLISHED, "retire"), (State.PUBLISHED, "revise"),
    (State.RETIRED, "revise"),
])
def test_sending_back_retiring_and_revising_without_a_reason_are_refused(item_in, manager, kind, state, name):
    item = item_in(kind, state)
    with pytest.raises(WorkflowError) as refused:
        services.transition(item=item, user=manager, name=name, reason="  ")
    assert refused.value.message
    item.refresh_from_db()
    assert item.state == state


@pytest.mark.parametrize("kind", KINDS)
def test_an_item_without_content_cannot_be_sent_for_review(agent, kind):
    item = _create(kind, agent)
    if kind == "known_error":
        item.workaround = ""
        services.item_save_edits(item=item, user=agent, changed=["workaround"])
    else:
        item.body = ""
        services.item_save_edits(item=item, user=agent, changed=["body"])
    with pytest.raises(WorkflowError) as refused:
        services.transition(item=item, user=agent, name="submit")
    assert refused.value.message
    item.refresh_from_db()
    assert item.state == State.DRAFT
