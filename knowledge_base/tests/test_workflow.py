"""The publish workflow: draft -> in review -> published -> retired, with who and why in history."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from knowledge_base import services
from knowledge_base.models import Article, KnownError
from knowledge_base.services import WorkflowError
from knowledge_base.workflow import State

pytestmark = pytest.mark.django_db


def _draft(user, **overrides) -> KnownError:
    fields = {
        "title": "Outlook asks for the password in a loop",
        "symptoms": "A sign-in window keeps coming back.",
        "root_cause": "Stale cached credentials.",
        "workaround": "Remove the cached credentials and sign in again.",
    }
    return services.known_error_create(user=user, **{**fields, **overrides})


def test_known_error_goes_from_draft_to_retired_with_one_history_row_per_step(agent, manager):
    item = _draft(agent)
    assert item.state == State.DRAFT
    item = services.transition(item=item, user=agent, name="submit")
    item = services.transition(item=item, user=manager, name="publish")
    assert item.state == State.PUBLISHED and item.published_at is not None
    item = services.transition(item=item, user=manager, name="retire", reason="Fixed by the March patch")
    assert item.state == State.RETIRED and item.retired_at is not None

    rows = list(item.history.order_by("history_id").values_list("state", "history_user__username",
                                                                  "history_change_reason"))
    assert rows == [
        ("draft", "kb-agent", "Created"),
        ("in_review", "kb-agent", "Send for review"),
        ("published", "kb-manager", "Publish"),
        ("retired", "kb-manager", "Retire: Fixed by the March patch"),
    ]


def test_article_follows_the_same_workflow(agent, manager):
    article = services.article_create(user=agent, title="How to map a network drive", body="1. Open Explorer")
    article = services.transition(item=article, user=agent, name="submit")
    article = services.transition(item=article, user=manager, name="publish")
    assert Article.objects.get(pk=article.pk).state == State.PUBLISHED
    assert article.history.count() == 3


def test_state_cannot_be_set_by_assignment(agent):
    item = _draft(agent)
    with pytest.raises(AttributeError):
        item.state = State.PUBLISHED


def test_only_a_reviewer_with_the_publish_permission_may_publish(agent, resolver, manager):
    item = services.transition(item=_draft(agent), user=agent, name="submit")
    for user in (agent, resolver):
        with pytest.raises(WorkflowError, match="may not"):
            services.transition(item=item, user=user, name="publish")
    assert services.transition(item=item, user=manager, name="publish").state == State.PUBLISHED


def test_a_known_error_without_workaround_cannot_be_sent_for_review(agent):
    item = _draft(agent, workaround="")
    with pytest.raises(WorkflowError, match="Write its content"):
        services.transition(item=item, user=agent, name="submit")
    assert KnownError.objects.get(pk=item.pk).state == State.DRAFT


def test_retiring_needs_a_reason(agent, manager):
    item = services.transition(item=_draft(agent), user=agent, name="submit")
    item = services.transition(item=item, user=manager, name="publish")
    with pytest.raises(WorkflowError, match="reason"):
        services.transition(item=item, user=manager, name="retire", reason="  ")


def test_an_illegal_transition_is_a_clear_error_not_a_no_op(agent, manager):
    item = _draft(agent)
    with pytest.raises(WorkflowError, match="“Publish” is not possible: “.*” is draft."):
        services.transition(item=item, user=manager, name="publish")
    with pytest.raises(WorkflowError, match="is not a transition of known errors"):
        services.transition(item=item, user=manager, name="delete")


def test_a_stale_copy_cannot_transition_after_someone_else_did(agent, manager):
    item = services.transition(item=_draft(agent), user=agent, name="submit")
    stale = KnownError.objects.get(pk=item.pk)
    services.transition(item=item, user=manager, name="return_to_draft", reason="Needs steps")
    with pytest.raises(WorkflowError, match="someone else changed it"):
        services.transition(item=stale, user=manager, name="publish")
    assert KnownError.objects.get(pk=item.pk).state == State.DRAFT


def test_a_refused_transition_leaves_no_history_row(agent):
    item = _draft(agent, workaround="")
    with pytest.raises(WorkflowError):
        services.transition(item=item, user=agent, name="submit")
    assert item.history.count() == 1


def test_available_transitions_follow_state_and_permission(agent, manager):
    item = services.transition(item=_draft(agent), user=agent, name="submit")
    assert [t.name for t in services.available_transitions(item, agent)] == ["return_to_draft"]
    assert {t.name for t in services.available_transitions(item, manager)} == {"return_to_draft", "publish"}


def test_edits_are_recorded_with_the_fields_that_changed(agent):
    item = _draft(agent)
    item.workaround = "Use webmail until the fix."
    services.item_save_edits(item=item, user=agent, changed=["workaround"])
    latest = item.history.latest("history_id")
    assert latest.history_change_reason == "Edited: workaround"
    assert latest.history_user == agent


@pytest.mark.parametrize(
    ("role", "codenames"),
    [
        ("Service desk agent", {"view_knownerror", "add_knownerror", "change_knownerror", "view_article",
                                "add_article", "change_article", "view_deflection"}),
        ("Resolver", {"view_knownerror", "add_knownerror", "change_knownerror", "view_article"}),
        ("Incident manager", {"publish_knownerror", "publish_article", "view_deflection", "change_category"}),
    ],
)
def test_roles_get_knowledge_base_permissions_from_the_migration(role, codenames):
    granted = set(Group.objects.get(name=role).permissions.filter(content_type__app_label="knowledge_base")
                  .values_list("codename", flat=True))
    assert codenames <= granted
    if role != "Incident manager":
        assert not {"publish_knownerror", "publish_article", "delete_knownerror"} & granted
