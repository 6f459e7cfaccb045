"""A review is published only when complete; a P1/P2 incident closes only once its review is published."""

import re

import pytest

from incidents import services as incident_services
from incidents.services import WorkflowError
from incidents.workflow import CLOSE_GATES, State
from reviews import services
from reviews.models import ActionItem, PostIncidentReview, ReviewState
from reviews.services import review_close_gate

from .factories import ActionItemFactory, resolved_incident


@pytest.fixture(autouse=True)
def one_reviewer_team(settings):
    """These tests are about what a review needs before it is published, with the manager who
    submits it also signing it off; four-eyes publishing has its own tests (test_four_eyes)."""
    settings.ITSM_FOUR_EYES_PUBLISHING = False


@pytest.fixture
def p1(reporter, agent, resolver, network_category, manager):
    return resolved_incident(reporter=reporter, category=network_category, desk=agent, resolver=resolver)


@pytest.fixture
def review(p1):
    return services.create_required_review(p1.pk)


def submit(review, user):
    return services.review_transition(review=review.pk, user=user, name="submit")


def test_the_close_gate_is_registered_with_the_incident_workflow():
    assert review_close_gate in CLOSE_GATES


def test_a_review_without_a_root_cause_cannot_be_published(review, manager):
    review = submit(review, manager)
    with pytest.raises(WorkflowError) as refused:
        services.review_transition(review=review.pk, user=manager, name="publish")
    assert refused.value.message == (
        "A review cannot be published without a root cause. "
        "Add at least one action item, or state why no action is needed, before publishing."
    )
    review.refresh_from_db()
    assert review.state == ReviewState.IN_REVIEW


def test_a_review_needs_an_action_item_or_a_reason_for_none(review, manager):
    review.root_cause = "An expired certificate on the VPN concentrator."
    services.review_save_edits(review=review, user=manager, changed=["root_cause"])
    submit(review, manager)
    with pytest.raises(WorkflowError, match="Add at least one action item, or state why no action is needed"):
        services.review_transition(review=review.pk, user=manager, name="publish")

    ActionItemFactory(review=review, owner=manager)
    published = services.review_transition(review=review.pk, user=manager, name="publish", reason="Signed off")
    assert published.state == ReviewState.PUBLISHED and published.published_at is not None


def test_a_stated_no_action_reason_is_enough_to_publish(review, manager):
    review.root_cause = "A one-off power cut in the data centre."
    review.no_action_reason = "The UPS replacement was already scheduled before the incident."
    services.review_save_edits(review=review, user=manager, changed=["root_cause", "no_action_reason"])
    submit(review, manager)
    assert services.review_transition(review=review.pk, user=manager, name="publish").is_published


def test_each_transition_writes_one_history_row_with_user_and_reason(review, manager):
    review.root_cause = "Expired certificate."
    review.no_action_reason = "Renewal is now automated."
    services.review_save_edits(review=review, user=manager, changed=["root_cause", "no_action_reason"])
    submit(review, manager)
    services.review_transition(review=review.pk, user=manager, name="request_changes", reason="Add the timeline")
    submit(review, manager)
    services.review_transition(review=review.pk, user=manager, name="publish")
    rows = [(h.state, h.history_user, h.history_change_reason) for h in review.history.order_by("history_id")]
    assert rows == [
        ("draft", None, "Created on resolve (P1/P2 incident)"),
        ("draft", manager, "Edited no_action_reason, root_cause"),
        ("in_review", manager, "Submit for review"),
        ("draft", manager, "Request changes: Add the timeline"),
        ("in_review", manager, "Submit for review"),
        ("published", manager, "Publish"),
    ]


def test_only_incident_managers_publish(review, manager, resolver):
    review.root_cause = "Expired certificate."
    review.no_action_reason = "Renewal is now automated."
    services.review_save_edits(review=review, user=manager, changed=["root_cause"])
    submit(review, manager)
    with pytest.raises(WorkflowError, match=f"You may not “publish” {review.reference}."):
        services.review_transition(review=review.pk, user=resolver, name="publish")


def test_a_published_review_is_read_only(review, manager):
    review.root_cause = "Expired certificate."
    review.no_action_reason = "Renewal is now automated."
    services.review_save_edits(review=review, user=manager, changed=["root_cause"])
    submit(review, manager)
    review = services.review_transition(review=review.pk, user=manager, name="publish")
    review.root_cause = "Something else"
    with pytest.raises(WorkflowError, match="is published; it can no longer be edited"):
        services.review_save_edits(review=review, user=manager, changed=["root_cause"])


def test_publishing_from_draft_is_refused_with_a_sentence(review, manager):
    with pytest.raises(WorkflowError) as refused:
        services.review_transition(review=review.pk, user=manager, name="publish")
    assert refused.value.message == f"“Publish” is not possible: {review.reference} is draft."


def test_a_p1_incident_cannot_be_closed_until_its_review_is_published_then_can(p1, review, reporter, manager):
    with pytest.raises(WorkflowError) as refused:
        incident_services.transition(incident=p1, user=reporter, name="close")
    assert refused.value.message == (
        f"{p1.reference} needs its post-incident review ({review.reference}) published before it can be closed."
    )

    review.root_cause = "Expired certificate."
    review.no_action_reason = "Renewal is now automated."
    services.review_save_edits(review=review, user=manager, changed=["root_cause", "no_action_reason"])
    submit(review, manager)
    services.review_transition(review=review.pk, user=manager, name="publish")

    closed = incident_services.transition(incident=p1, user=reporter, name="close")
    assert closed.state == State.CLOSED


def test_closing_before_the_review_exists_does_not_wait_but_still_creates_it(
    p1, reporter, django_capture_on_commit_callbacks
):
    # The resolve's task has not run (its on-commit callback never fired in this test).
    with django_capture_on_commit_callbacks(execute=True):
        closed = incident_services.transition(incident=p1, user=reporter, name="close")
    assert closed.state == State.CLOSED
    review = PostIncidentReview.objects.get(incident=p1)
    assert review.required and review.state == ReviewState.DRAFT


def test_the_close_gate_can_be_switched_off(p1, review, reporter, settings):
    settings.ITSM_REVIEW_BLOCKS_CLOSE = False
    assert incident_services.transition(incident=p1, user=reporter, name="close").state == State.CLOSED


def test_a_p4_incident_without_a_review_closes_as_before(reporter, agent, resolver, network_category):
    incident = resolved_incident(reporter=reporter, category=network_category, desk=agent, resolver=resolver,
                                 impact="low", urgency="low")
    assert incident_services.transition(incident=incident, user=reporter, name="close").state == State.CLOSED


def test_an_action_item_is_wont_do_only_with_a_reason(review, manager):
    item = ActionItemFactory(review=review, owner=manager)
    with pytest.raises(WorkflowError, match="Say why this action will not be done."):
        services.action_item_transition(item=item.pk, user=manager, name="drop")
    item = services.action_item_transition(item=item.pk, user=manager, name="drop", reason="Replaced by a vendor fix")
    assert item.get_state_display() == "Won't do" and item.wont_do_reason == "Replaced by a vendor fix"
    assert item.history.first().history_change_reason == "Won't do: Replaced by a vendor fix"


def test_an_action_items_owner_works_it_but_cannot_drop_it(review, resolver):
    item = ActionItemFactory(review=review, owner=resolver)
    item = services.action_item_transition(item=item.pk, user=resolver, name="start")
    item = services.action_item_transition(item=item.pk, user=resolver, name="complete")
    assert item.state == "done" and item.completed_at is not None
    item = services.action_item_transition(item=item.pk, user=resolver, name="reopen")
    with pytest.raises(WorkflowError, match=re.escape(f"You may not “won't do” the action item “{item}”.")):
        services.action_item_transition(item=item.pk, user=resolver, name="drop", reason="Too hard")
    assert ActionItem.objects.get(pk=item.pk).state == "open"


def publish(review, manager):
    review.root_cause = "Expired certificate."
    review.no_action_reason = "Renewal is now automated."
    services.review_save_edits(review=review, user=manager, changed=["root_cause", "no_action_reason"])
    submit(review, manager)
    return services.review_transition(review=review.pk, user=manager, name="publish")


def test_a_p1_past_its_grace_period_is_closed_by_the_sweep_once_its_review_is_published(p1, review, manager):
    """The sweep gave up the auto-close while the review held the incident; publishing never
    re-armed it (ten days after publishing it was still resolved)."""
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from incidents.models import Incident
    from incidents.sla import sweep

    later = timezone.now() + timedelta(days=10)
    with time_machine.travel(later, tick=False):
        sweep.sweep()  # the grace period is over; the review holds it: auto-close given up
        p1.refresh_from_db()
        assert p1.state == State.RESOLVED and p1.auto_close_at is None

        publish(review, manager)  # ten days later
        p1.refresh_from_db()
        assert p1.auto_close_at == later  # the grace period is long over: due at once
        assert "closes automatically" in p1.events.filter(kind="auto_close").latest("pk").message
    with time_machine.travel(later + timedelta(minutes=1), tick=False):
        sweep.sweep()
    assert Incident.objects.get(pk=p1.pk).state == State.CLOSED


def test_a_p1_whose_reporter_had_confirmed_closes_when_its_review_is_published(p1, review, reporter, manager):
    incident, closed = incident_services.confirm_fix(incident=p1.pk, user=reporter)
    assert not closed
    publish(review, manager)
    p1.refresh_from_db()
    assert p1.state == State.CLOSED
    assert "The reporter had confirmed the fix" in p1.history.latest().history_change_reason
