"""A review can propose a known error: it lands in the knowledge base as a draft, linked to the review."""

import pytest
from django.urls import reverse

from incidents.services import WorkflowError
from knowledge_base.models import KnownError
from knowledge_base.workflow import State as KnowledgeState
from reviews import exports, services
from reviews.models import PostIncidentReview

from .factories import resolved_incident


@pytest.fixture
def review(reporter, agent, resolver, network_category, vpn_service, manager):
    incident = resolved_incident(reporter=reporter, category=network_category, desk=agent, resolver=resolver,
                                 service=vpn_service)
    review = services.create_required_review(incident.pk)
    review.root_cause = "The concentrator's certificate expired."
    services.review_save_edits(review=review, user=manager, changed=["root_cause"])
    return review


def propose(review, user, **overrides):
    fields = {"title": "VPN refuses logins after the certificate expires",
              "symptoms": "'authentication failed' for every user at once",
              "workaround": "Connect through the backup gateway vpn2.example.com", **overrides}
    return services.propose_known_error(review=review, user=user, **fields)


def test_a_proposed_known_error_lands_in_the_knowledge_base_as_a_draft_linked_to_the_review(review, manager):
    message = propose(review, manager)
    review.refresh_from_db()
    known_error = review.known_error
    assert known_error.state == KnowledgeState.DRAFT
    assert known_error.title == "VPN refuses logins after the certificate expires"
    assert known_error.workaround == "Connect through the backup gateway vpn2.example.com"
    assert known_error.root_cause == "The concentrator's certificate expired."
    assert known_error.affected_service == "VPN"
    assert known_error.created_by == manager
    assert known_error.history.get().history_change_reason == (
        f"Proposed by {review.reference} ({review.incident.reference})"
    )
    assert list(known_error.proposing_reviews.all()) == [review]
    assert message == (f"The known error “{known_error.title}” is in the knowledge base as a draft, "
                       f"linked to {review.reference}.")
    assert review.history.first().history_change_reason == "Proposed a known error"


def test_a_review_proposes_one_known_error(review, manager):
    propose(review, manager)
    with pytest.raises(WorkflowError, match="already proposed the known error"):
        propose(review, manager, title="Another one")
    assert KnownError.objects.count() == 1


def test_a_proposal_needs_a_title_and_symptoms(review, manager):
    with pytest.raises(WorkflowError, match="needs a title and its symptoms"):
        propose(review, manager, symptoms="  ")
    assert not KnownError.objects.exists()


def test_only_those_who_may_edit_the_review_propose(review, resolver):
    with pytest.raises(WorkflowError, match=f"You may not propose a known error from {review.reference}."):
        propose(review, resolver)


def test_the_admin_form_proposes_and_the_export_mentions_it(client, review, manager):
    client.force_login(manager)
    url = reverse("admin:reviews_postincidentreview_propose_known_error", args=[review.pk])
    page = client.get(url).content.decode()
    assert "lands in the knowledge base as a draft" in page
    response = client.post(url, {"title": "VPN certificate expiry", "symptoms": "Nobody can log in", "workaround": ""})
    assert response.status_code == 302
    review = PostIncidentReview.objects.get(pk=review.pk)
    assert review.known_error.title == "VPN certificate expiry"
    assert "**VPN certificate expiry** (knowledge base: draft)" in exports.markdown(review)
    assert "VPN certificate expiry" in client.get(reverse("admin:reviews_postincidentreview_change",
                                                          args=[review.pk])).content.decode()
