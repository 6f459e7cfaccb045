"""Four-eyes publishing of post-incident reviews: the incident manager who submitted a review (or
changed it since) does not sign it off; another one does. ITSM_FOUR_EYES_PUBLISHING=0 lets a team
with one incident manager publish its own."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.html import escape

from core.tests.api_support import assert_error
from incidents import roles
from incidents.tests.factories import UserFactory
from reviews import services
from reviews.services import WorkflowError
from reviews.workflow import ReviewState

from .factories import ReviewFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_manager(db):
    return UserFactory(username="mateo", role=roles.INCIDENT_MANAGER)


def submitted_by(user, *, owner=None):
    review = ReviewFactory(owner=owner or user)
    review.root_cause = "An expired certificate on the VPN concentrator."
    review.no_action_reason = "Renewal is automated now."
    services.review_save_edits(review=review, user=user, changed=["root_cause", "no_action_reason"])
    return services.review_transition(review=review.pk, user=user, name="submit")


def refusal(review) -> str:
    return (f"Someone other than you must publish {review.reference}: you sent it for review or changed it since, "
            "and it needs a second person's approval.")


def test_the_manager_who_submitted_a_review_may_not_publish_it(manager):
    review = submitted_by(manager)
    with pytest.raises(WorkflowError) as refused:
        services.review_transition(review=review.pk, user=manager, name="publish")
    assert refused.value.message == refusal(review)
    review.refresh_from_db()
    assert review.state == ReviewState.IN_REVIEW


def test_a_second_incident_manager_publishes_it(manager, second_manager):
    review = submitted_by(manager)
    assert services.review_transition(review=review.pk, user=second_manager, name="publish").is_published


def test_an_owner_who_edited_it_in_review_may_not_publish_what_someone_else_submitted(manager, second_manager):
    review = submitted_by(second_manager, owner=manager)
    review.lessons_learned = "Watch certificate expiry."
    services.review_save_edits(review=review, user=manager, changed=["lessons_learned"])
    with pytest.raises(WorkflowError, match="Someone other than you must publish"):
        services.review_transition(review=review.pk, user=manager, name="publish")


def test_with_four_eyes_off_the_submitter_publishes(manager, settings):
    settings.ITSM_FOUR_EYES_PUBLISHING = False
    review = submitted_by(manager)
    assert services.review_transition(review=review.pk, user=manager, name="publish").is_published


# --- admin ------------------------------------------------------------------------------------------
def change_url(review) -> str:
    return reverse("admin:reviews_postincidentreview_change", args=[review.pk])


def publish_url(review) -> str:
    return reverse("admin:reviews_postincidentreview_transition", args=[review.pk, "publish"])


def test_admin_says_why_the_submitter_has_no_publish_button_and_refuses_the_post(client, manager):
    review = submitted_by(manager)
    client.force_login(manager)
    page = client.get(change_url(review)).content.decode()
    assert 'data-transition="publish"' not in page
    assert escape(refusal(review)) in page
    response = client.post(publish_url(review), follow=True)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [refusal(review)]
    review.refresh_from_db()
    assert review.state == ReviewState.IN_REVIEW


def test_admin_publish_works_for_a_second_manager(client, manager, second_manager):
    review = submitted_by(manager)
    client.force_login(second_manager)
    assert 'data-transition="publish"' in client.get(change_url(review)).content.decode()
    client.post(publish_url(review))
    review.refresh_from_db()
    assert review.state == ReviewState.PUBLISHED


def test_admin_with_four_eyes_off_lets_the_submitter_publish(client, manager, settings):
    settings.ITSM_FOUR_EYES_PUBLISHING = False
    review = submitted_by(manager)
    client.force_login(manager)
    client.post(publish_url(review))
    review.refresh_from_db()
    assert review.state == ReviewState.PUBLISHED


# --- API --------------------------------------------------------------------------------------------
def test_api_refuses_the_submitter_with_409_and_the_sentence(actors):
    review = submitted_by(actors["incident_manager"])
    client = actors.client("incident_manager")
    body = assert_error(client.post(f"/api/v1/reviews/{review.pk}/transitions/publish/", {}), 409,
                        "transition_refused")
    assert body["detail"] == refusal(review)
    assert body["allowed_transitions"] == ["request_changes"]


def test_api_lets_a_second_manager_publish(actors, second_manager):
    review = submitted_by(second_manager)
    response = actors.client("incident_manager").post(f"/api/v1/reviews/{review.pk}/transitions/publish/", {})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == ReviewState.PUBLISHED


def test_api_with_four_eyes_off_lets_the_submitter_publish(actors, settings):
    settings.ITSM_FOUR_EYES_PUBLISHING = False
    review = submitted_by(actors["incident_manager"])
    response = actors.client("incident_manager").post(f"/api/v1/reviews/{review.pk}/transitions/publish/", {})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == ReviewState.PUBLISHED
