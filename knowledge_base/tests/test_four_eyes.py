"""Four-eyes publishing: whoever sent a known error or article for review, or changed it since, does
not publish it; a second reviewer does. ITSM_FOUR_EYES_PUBLISHING=0 lets a one-reviewer team
publish its own."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from core.tests.api_support import assert_error
from knowledge_base import services
from knowledge_base.services import WorkflowError
from knowledge_base.workflow import State

from .factories import INCIDENT_MANAGER, UserFactory

pytestmark = pytest.mark.django_db

REFUSAL = ("Someone other than you must publish “VPN drops every hour”: you sent it for review or changed it "
           "since, and it needs a second person's approval.")


@pytest.fixture
def second_manager(db):
    return UserFactory(username="kb-manager-2", role=INCIDENT_MANAGER)


def submitted_by(user, *, model: str = "known_error"):
    if model == "article":
        item = services.article_create(user=user, title="VPN drops every hour", body="Reconnect from the tray icon.")
    else:
        item = services.known_error_create(user=user, title="VPN drops every hour", symptoms="The tunnel closes.",
                                           workaround="Reconnect from the tray icon.")
    return services.transition(item=item, user=user, name="submit")


@pytest.mark.parametrize("model", ["known_error", "article"])
def test_whoever_sent_it_for_review_may_not_publish_it(manager, model):
    item = submitted_by(manager, model=model)
    with pytest.raises(WorkflowError) as refused:
        services.transition(item=item, user=manager, name="publish")
    assert refused.value.message == REFUSAL
    item.refresh_from_db()
    assert item.state == State.IN_REVIEW
    assert "publish" not in [t.name for t in services.available_transitions(item, manager)]


@pytest.mark.parametrize("model", ["known_error", "article"])
def test_a_second_reviewer_publishes_it(manager, second_manager, model):
    item = submitted_by(manager, model=model)
    assert "publish" in [t.name for t in services.available_transitions(item, second_manager)]
    item = services.transition(item=item, user=second_manager, name="publish")
    assert item.state == State.PUBLISHED
    assert item.history.first().history_user == second_manager


def test_a_reviewer_who_changed_it_in_review_may_not_publish_it(agent, manager, second_manager):
    item = submitted_by(agent)
    item.workaround = "Reconnect, then restart the client."
    services.item_save_edits(item=item, user=manager, changed=["workaround"])
    with pytest.raises(WorkflowError, match="Someone other than you must publish"):
        services.transition(item=item, user=manager, name="publish")
    assert services.transition(item=item, user=second_manager, name="publish").state == State.PUBLISHED


def test_sending_it_back_to_draft_does_not_make_the_reviewer_an_author(agent, manager):
    item = submitted_by(agent)
    item = services.transition(item=item, user=manager, name="return_to_draft", reason="Name the client version")
    item = services.transition(item=item, user=agent, name="submit")
    assert services.transition(item=item, user=manager, name="publish").state == State.PUBLISHED


def test_with_four_eyes_off_the_author_publishes_their_own(manager, settings):
    settings.ITSM_FOUR_EYES_PUBLISHING = False
    item = submitted_by(manager)
    assert "publish" in [t.name for t in services.available_transitions(item, manager)]
    assert services.transition(item=item, user=manager, name="publish").state == State.PUBLISHED


# --- admin ------------------------------------------------------------------------------------------
def test_admin_says_why_the_author_has_no_publish_button_and_refuses_the_post(client, manager):
    item = submitted_by(manager)
    client.force_login(manager)
    page = client.get(reverse("admin:knowledge_base_knownerror_change", args=[item.pk])).content.decode()
    assert 'data-transition="publish"' not in page
    assert "Someone other than you must publish “VPN drops every hour”" in page
    response = client.post(reverse("admin:knowledge_base_knownerror_transition", args=[item.pk, "publish"]),
                           follow=True)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [REFUSAL]
    item.refresh_from_db()
    assert item.state == State.IN_REVIEW


def test_admin_publish_button_works_for_a_second_reviewer(client, manager, second_manager):
    item = submitted_by(manager, model="article")
    client.force_login(second_manager)
    page = client.get(reverse("admin:knowledge_base_article_change", args=[item.pk])).content.decode()
    assert 'data-transition="publish"' in page and "Someone other than you" not in page
    client.post(reverse("admin:knowledge_base_article_transition", args=[item.pk, "publish"]))
    item.refresh_from_db()
    assert item.state == State.PUBLISHED


def test_admin_with_four_eyes_off_offers_the_author_the_button(client, manager, settings):
    settings.ITSM_FOUR_EYES_PUBLISHING = False
    item = submitted_by(manager)
    client.force_login(manager)
    client.post(reverse("admin:knowledge_base_knownerror_transition", args=[item.pk, "publish"]))
    item.refresh_from_db()
    assert item.state == State.PUBLISHED


# --- API --------------------------------------------------------------------------------------------
@pytest.fixture
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_api_refuses_the_author_with_409_and_the_sentence(actors, _fast_hashing):
    item = submitted_by(actors["incident_manager"])
    client = actors.client("incident_manager")
    url = f"/api/v1/known-errors/{item.pk}/"
    assert [t["name"] for t in client.get(f"{url}transitions/").json()] == ["return_to_draft"]
    body = assert_error(client.post(f"{url}transitions/publish/", {}), 409, "transition_refused")
    assert body["detail"] == REFUSAL
    assert body["allowed_transitions"] == ["return_to_draft"]
    item.refresh_from_db()
    assert item.state == State.IN_REVIEW


def test_api_lets_a_second_reviewer_publish(actors, second_manager, _fast_hashing):
    item = submitted_by(second_manager, model="article")
    response = actors.client("incident_manager").post(f"/api/v1/articles/{item.pk}/transitions/publish/", {})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == State.PUBLISHED


def test_api_with_four_eyes_off_lets_the_author_publish(actors, settings, _fast_hashing):
    settings.ITSM_FOUR_EYES_PUBLISHING = False
    item = submitted_by(actors["incident_manager"])
    response = actors.client("incident_manager").post(f"/api/v1/known-errors/{item.pk}/transitions/publish/", {})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == State.PUBLISHED
