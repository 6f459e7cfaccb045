"""Which incidents get a review, when, owned by whom — and never two for one incident."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group

from incidents import roles
from incidents import services as incident_services
from incidents.services import WorkflowError
from incidents.tests.factories import UserFactory, make_incident
from reviews import services, tasks
from reviews.models import PostIncidentReview, ReviewState, Trigger

from .factories import resolved_incident


@pytest.fixture
def p1(reporter, agent, resolver, network_category, manager):
    return resolved_incident(reporter=reporter, category=network_category, desk=agent, resolver=resolver)


def test_resolving_a_p1_creates_its_review_after_commit(
    reporter, agent, resolver, network_category, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        incident = resolved_incident(reporter=reporter, category=network_category, desk=agent, resolver=resolver)
    assert callbacks, "the review is asked for after commit"
    review = PostIncidentReview.objects.get(incident=incident)
    assert review.state == ReviewState.DRAFT
    assert review.required and review.trigger == Trigger.PRIORITY
    assert review.owner == manager


def test_no_review_is_asked_for_before_the_transaction_commits(p1):
    # Without the on-commit callbacks running (the test transaction never commits), nothing exists.
    assert not PostIncidentReview.objects.filter(incident=p1).exists()


def test_resolving_a_p1_creates_exactly_one_review_when_the_task_runs_twice(p1):
    first = tasks.create_required_review_task.delay(p1.pk).get()
    second = tasks.create_required_review_task.delay(p1.pk).get()
    assert first == second
    assert PostIncidentReview.objects.filter(incident=p1).count() == 1


def test_the_creating_task_writes_one_history_row_saying_why(p1):
    tasks.create_required_review_task(p1.pk)
    tasks.create_required_review_task(p1.pk)
    review = PostIncidentReview.objects.get(incident=p1)
    assert [h.history_change_reason for h in review.history.all()] == ["Created on resolve (P1/P2 incident)"]


def test_reopening_and_resolving_again_keeps_the_one_review(
    p1, reporter, resolver, django_capture_on_commit_callbacks
):
    tasks.create_required_review_task(p1.pk)
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_services.transition(incident=p1, user=reporter, name="reopen", reason="Still down")
        incident_services.transition(incident=incident, user=resolver, name="resolve",
                                     resolution_code="fixed", resolution_notes="Replaced the certificate.")
    assert PostIncidentReview.objects.filter(incident=p1).count() == 1


def test_a_task_that_runs_after_a_reopen_waits_for_the_next_resolve(p1, reporter):
    incident_services.transition(incident=p1, user=reporter, name="reopen", reason="Still down")
    assert tasks.create_required_review_task(p1.pk) is None
    assert not PostIncidentReview.objects.filter(incident=p1).exists()


def test_p2_incidents_need_a_review_too(reporter, agent, resolver, network_category, manager):
    incident = resolved_incident(reporter=reporter, category=network_category, desk=agent, resolver=resolver,
                                 impact="high", urgency="medium")
    assert incident.priority == 2
    assert tasks.create_required_review_task(incident.pk) is not None


def test_a_single_p3_incident_needs_no_review(reporter, agent, resolver, network_category, vpn_service, manager):
    incident = resolved_incident(reporter=reporter, category=network_category, desk=agent, resolver=resolver,
                                 impact="medium", urgency="medium", service=vpn_service)
    assert incident.priority == 3
    assert tasks.create_required_review_task(incident.pk) is None
    assert not PostIncidentReview.objects.exists()


def test_a_p3_that_recurs_three_times_in_30_days_needs_a_review(
    reporter, agent, resolver, network_category, vpn_service, manager
):
    with time_machine.travel(datetime.datetime(2026, 3, 1, 9, tzinfo=datetime.UTC), tick=False):
        make_incident(reporter=reporter, category=network_category, service=vpn_service)
    with time_machine.travel(datetime.datetime(2026, 3, 15, 9, tzinfo=datetime.UTC), tick=False):
        make_incident(reporter=reporter, category=network_category, service=vpn_service)
    with time_machine.travel(datetime.datetime(2026, 3, 25, 9, tzinfo=datetime.UTC), tick=False):
        incident = resolved_incident(reporter=reporter, category=network_category, desk=agent, resolver=resolver,
                                     impact="low", urgency="high", service=vpn_service)
        assert services.is_recurring(incident)
        review = tasks.create_required_review_task(incident.pk)
    review = PostIncidentReview.objects.get(pk=review)
    assert review.trigger == Trigger.RECURRING and review.required
    assert not review.blocks_close, "only P1/P2 reviews hold the incident open"


def test_incidents_older_than_30_days_or_elsewhere_do_not_make_a_series(
    reporter, agent, resolver, network_category, security_category, vpn_service, manager
):
    with time_machine.travel(datetime.datetime(2026, 1, 1, 9, tzinfo=datetime.UTC), tick=False):
        make_incident(reporter=reporter, category=network_category, service=vpn_service)  # too old
    with time_machine.travel(datetime.datetime(2026, 3, 10, 9, tzinfo=datetime.UTC), tick=False):
        make_incident(reporter=reporter, category=security_category, service=vpn_service)  # other category
        make_incident(reporter=reporter, category=network_category)  # no service
        make_incident(reporter=reporter, category=network_category, service=vpn_service)
    with time_machine.travel(datetime.datetime(2026, 3, 25, 9, tzinfo=datetime.UTC), tick=False):
        incident = resolved_incident(reporter=reporter, category=network_category, desk=agent, resolver=resolver,
                                     impact="low", urgency="high", service=vpn_service)
        assert not services.is_recurring(incident)


def test_a_registered_recurrence_check_extends_is_recurring(reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    assert not services.is_recurring(incident)

    def same_known_error(candidate):
        return candidate.pk == incident.pk

    services.register_recurrence_check(same_known_error)
    try:
        assert services.is_recurring(incident)
    finally:
        services.RECURRENCE_CHECKS.remove(same_known_error)


def test_the_owner_is_the_first_active_incident_manager(p1, manager):
    UserFactory(username="zed", role=roles.INCIDENT_MANAGER)
    manager.is_active = False
    manager.save()
    review = services.create_required_review(p1.pk)
    assert review.owner.username == "zed"


def test_a_setting_names_the_owner(p1, settings):
    UserFactory(username="olga", role=roles.INCIDENT_MANAGER)
    settings.ITSM_REVIEW_OWNER = "olga"
    assert services.create_required_review(p1.pk).owner.username == "olga"


def test_without_any_incident_manager_the_review_is_still_created_unowned(p1):
    Group.objects.get(name=roles.INCIDENT_MANAGER).user_set.clear()
    review = services.create_required_review(p1.pk)
    assert review is not None and review.owner is None


def test_an_incident_manager_can_start_a_review_of_any_incident_by_hand(reporter, network_category, manager):
    incident = make_incident(reporter=reporter, category=network_category)
    review = services.review_start(incident=incident, user=manager)
    assert review.trigger == Trigger.MANUAL and not review.required
    assert review.owner == manager
    assert review.history.get().history_user == manager


def test_only_incident_managers_start_reviews_by_hand(reporter, network_category, agent, resolver):
    incident = make_incident(reporter=reporter, category=network_category)
    for user in (agent, resolver, reporter):
        with pytest.raises(WorkflowError, match="Only incident managers"):
            services.review_start(incident=incident, user=user)


def test_starting_a_second_review_by_hand_is_refused(p1, manager):
    review = services.create_required_review(p1.pk)
    with pytest.raises(WorkflowError) as refused:
        services.review_start(incident=p1, user=manager)
    assert refused.value.message == f"{p1.reference} already has a post-incident review ({review.reference})."


def test_a_new_review_starts_with_the_incidents_timeline(p1):
    review = services.create_required_review(p1.pk)
    assert [e.text.split(":")[0] for e in review.timeline.all()] == [
        "Opened via Portal", "Triaged", "Claimed", "Resolved",
    ]


@pytest.mark.postgres
# Roles survive the flush of earlier transactional tests: they are restored after every migrate/flush.
@pytest.mark.django_db(transaction=True)
def test_two_workers_creating_the_review_at_once_leave_exactly_one(
    require_postgres, reporter, agent, resolver, network_category, manager
):
    import threading

    from django.db import connection

    incident = resolved_incident(reporter=reporter, category=network_category, desk=agent, resolver=resolver)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(tasks.create_required_review_task(incident.pk))
        except Exception as error:  # the assertion below reports it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(set(results)) == 1 and results[0] is not None
    assert PostIncidentReview.objects.filter(incident=incident).count() == 1
