"""Applying a known error to an incident: the link, the workaround for the desk and the reporter,
one audited save, refusals, and recurrence counting that flags a known error for a permanent fix."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from incidents import known_errors, services
from incidents.models import Comment, EventKind, Incident, IncidentEvent, TriageDecision
from knowledge_base.tests.factories import KnownErrorFactory
from knowledge_base.workflow import State as KbState
from reviews.services import is_recurring

from .factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(reporter, network_category):
    return make_incident(reporter=reporter, category=network_category)


@pytest.fixture
def vpn_error(db):
    return KnownErrorFactory(title="VPN rejects logins after password change",
                             workaround="Sign out of the VPN client and sign in again.", public=True)


def test_applying_links_the_incident_and_copies_the_workaround(incident, resolver, vpn_error):
    done = known_errors.apply_known_error(incident=incident, user=resolver, known_error=vpn_error)
    stored = Incident.objects.get(pk=incident.pk)
    assert done.known_error == vpn_error == stored.known_error
    assert stored.triage_decision == TriageDecision.KNOWN_ERROR
    assert stored.workaround == "Sign out of the VPN client and sign in again."


def test_applying_adds_an_internal_note_and_for_a_public_workaround_a_reply_the_reporter_receives(
        incident, resolver, vpn_error, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        known_errors.apply_known_error(incident=incident, user=resolver, known_error=vpn_error)
    notes = list(Comment.objects.filter(incident=incident).order_by("pk"))
    assert [c.public for c in notes] == [False, True]
    assert all("Sign out of the VPN client" in c.body for c in notes)
    assert any(incident.reporter.email in m.to for m in mail.outbox)


def test_an_internal_workaround_is_only_a_work_note(incident, resolver):
    internal = KnownErrorFactory(public=False, workaround="Flush the proxy cache on the gateway.")
    known_errors.apply_known_error(incident=incident, user=resolver, known_error=internal)
    assert list(Comment.objects.filter(incident=incident).values_list("public", flat=True)) == [False]


def test_applying_writes_one_history_row_with_the_reason_and_a_workaround_event(incident, resolver, vpn_error):
    known_errors.apply_known_error(incident=incident, user=resolver, known_error=vpn_error)
    rows = incident.history.filter(history_change_reason=f"Known error applied: KE-{vpn_error.pk}")
    assert rows.count() == 1
    assert rows.get().history_user == resolver
    event = IncidentEvent.objects.get(incident=incident, kind=EventKind.KNOWN_ERROR_LINKED)
    assert event.actor == resolver


def test_another_teams_resolver_may_not_apply_a_known_error(incident, other_resolver, vpn_error):
    with pytest.raises(services.WorkflowError, match="may not work on"):
        known_errors.apply_known_error(incident=incident, user=other_resolver, known_error=vpn_error)
    assert Incident.objects.get(pk=incident.pk).known_error is None


@pytest.mark.parametrize("state", [KbState.DRAFT, KbState.IN_REVIEW, KbState.RETIRED])
def test_an_unpublished_known_error_cannot_be_applied(incident, resolver, state):
    draft = KnownErrorFactory(state=state)
    with pytest.raises(services.WorkflowError, match="not published"):
        known_errors.apply_known_error(incident=incident, user=resolver, known_error=draft)
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.known_error, stored.triage_decision, stored.workaround) == (None, "", "")
    assert not Comment.objects.filter(incident=incident).exists()


def test_marking_a_new_issue_records_the_decision(incident, resolver):
    known_errors.mark_new_issue(incident=incident, user=resolver)
    assert Incident.objects.get(pk=incident.pk).triage_decision == TriageDecision.NEW_ISSUE
    with pytest.raises(services.WorkflowError, match="already marked"):
        known_errors.mark_new_issue(incident=incident, user=resolver)


def test_another_teams_resolver_may_not_mark_a_new_issue(incident, other_resolver):
    with pytest.raises(services.WorkflowError):
        known_errors.mark_new_issue(incident=incident, user=other_resolver)


def test_the_third_linked_incident_within_30_days_flags_the_known_error_for_a_permanent_fix(
        reporter, network_category, resolver, vpn_error):
    incidents = [make_incident(reporter=reporter, category=network_category) for _ in range(3)]
    for incident in incidents[:2]:
        known_errors.apply_known_error(incident=incident, user=resolver, known_error=vpn_error)
    vpn_error.refresh_from_db()
    assert not vpn_error.needs_permanent_fix
    known_errors.apply_known_error(incident=incidents[2], user=resolver, known_error=vpn_error)
    vpn_error.refresh_from_db()
    assert vpn_error.needs_permanent_fix
    assert vpn_error.recurrence_count == 3


def test_incidents_older_than_the_window_do_not_count(reporter, network_category, resolver, vpn_error):
    incidents = [make_incident(reporter=reporter, category=network_category) for _ in range(3)]
    for incident in incidents[:2]:
        known_errors.apply_known_error(incident=incident, user=resolver, known_error=vpn_error)
    Incident.objects.filter(pk=incidents[0].pk).update(opened_at=timezone.now() - timedelta(days=40))
    known_errors.apply_known_error(incident=incidents[2], user=resolver, known_error=vpn_error)
    vpn_error.refresh_from_db()
    assert (vpn_error.needs_permanent_fix, vpn_error.recurrence_count) == (False, 2)


def test_a_review_sees_three_incidents_of_one_known_error_as_recurring(reporter, resolver, vpn_error):
    # No category or service in common, so only the known-error check can call them a series.
    incidents = [make_incident(reporter=reporter) for _ in range(3)]
    for incident in incidents:
        Incident.objects.filter(pk=incident.pk).update(known_error=vpn_error)
    assert is_recurring(Incident.objects.get(pk=incidents[2].pk))
    Incident.objects.filter(pk=incidents[0].pk).update(known_error=None)
    assert not is_recurring(Incident.objects.get(pk=incidents[2].pk))
