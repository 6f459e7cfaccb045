"""Each SOP step of the conformance checklist, on incidents scripted through the real services under
a frozen clock: met, missed and not applicable, each with the evidence that names its event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from compliance.conformance import MET, MISSED, NA, checklist
from incidents import known_errors, services
from incidents.models import EscalationRule, Incident, IncidentEvent
from incidents.sla import sweep
from incidents.tests.conftest import (  # noqa: F401  (fixtures)
    agent,
    desk_team,
    manager,
    network_category,
    network_team,
    reporter,
    resolver,
)
from incidents.tests.factories import ServiceFactory, make_incident
from reviews import services as reviews
from reviews.tests.factories import ActionItemFactory

pytestmark = pytest.mark.django_db

# A Monday morning (the office calendar is UTC in tests).
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEVELS = {1: ("high", "high"), 2: ("high", "medium"), 3: ("medium", "medium"), 4: ("low", "low")}


@pytest.fixture(autouse=True)
def _quick(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ITSM_FOUR_EYES_PUBLISHING = False


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(reporter, agent, resolver, manager, network_category):  # noqa: F811
    return {"reporter": reporter, "agent": agent, "resolver": resolver, "manager": manager,
            "category": network_category}


def opened(people, priority: int = 3, **kwargs) -> Incident:
    impact, urgency = LEVELS[priority]
    kwargs.setdefault("service", ServiceFactory(name="VPN"))
    kwargs.setdefault("category", people["category"])
    return make_incident(reporter=people["reporter"], impact=impact, urgency=urgency, **kwargs)


def triaged(people, priority: int = 3, **kwargs) -> Incident:
    return services.transition(incident=opened(people, priority, **kwargs), user=people["agent"], name="triage")


def resolved(people, incident: Incident, *, verification: str = "Tested a login in production.", clock=None,
             after: int = 10) -> Incident:
    incident = services.transition(incident=incident, user=people["resolver"], name="claim")
    if clock is not None:
        clock.shift(timedelta(minutes=after))
    return services.transition(incident=incident, user=people["resolver"], name="resolve", resolution_code="fixed",
                               resolution_notes="Restarted the VPN concentrator.", verification=verification)


def item(incident: Incident, key: str):
    return checklist(Incident.objects.get(pk=incident.pk)).item(key)


def event_of(incident: Incident, **filters) -> IncidentEvent:
    return IncidentEvent.objects.filter(incident=incident, **filters).latest("pk")


# --- logged -------------------------------------------------------------------------------------------
def test_logged_is_met_with_a_description_and_a_service_and_names_the_opening_event(people, clock):
    incident = triaged(people)
    step = item(incident, "logged")
    assert step.status == MET
    assert step.event_id == event_of(incident, kind="created").pk
    assert f"event #{step.event_id}" in step.evidence


def test_logged_without_a_description_or_without_a_service_by_triage_is_missed(people, clock):
    bare = triaged(people, description="")
    assert item(bare, "logged").status == MISSED
    assert "without a description" in item(bare, "logged").evidence
    serviceless = triaged(people, service=None)
    assert item(serviceless, "logged").status == MISSED
    assert "No affected service was recorded by triage" in item(serviceless, "logged").evidence


def test_logged_is_not_applicable_while_a_new_incident_awaits_triage_for_its_service(people, clock):
    assert item(opened(people, service=None), "logged").status == NA


# --- categorised and prioritised ---------------------------------------------------------------------
def test_categorised_is_met_at_triage_missed_when_work_began_without_one_and_na_before(people, clock, network_team):  # noqa: F811
    incident = triaged(people)
    step = item(incident, "categorised")
    assert step.status == MET and "Network" in step.evidence
    assert step.event_id == event_of(incident, transition="triage").pk

    uncategorised = make_incident(reporter=people["reporter"], created_by=people["agent"], team=network_team,
                                  service=ServiceFactory(name="VPN"))
    services.transition(incident=uncategorised, user=people["resolver"], name="claim")
    assert item(uncategorised, "categorised").status == MISSED
    assert "without a category" in item(uncategorised, "categorised").evidence

    assert item(opened(people), "categorised").status == NA


def test_prioritised_is_met_from_the_matrix_at_triage_and_after_a_reclassification(people, clock):
    incident = triaged(people, priority=3)
    incident.impact = "high"
    services.incident_save_edits(incident=incident, user=people["agent"], changed={"impact"})
    step = item(incident, "prioritised")
    assert step.status == MET
    assert "P3 from medium impact × medium urgency" in step.evidence and "re-prioritised 1 time" in step.evidence


def test_prioritised_is_missed_when_a_priority_was_set_outside_the_matrix(people, clock):
    incident = triaged(people, priority=3)
    # A database fix behind the services' back, which the next save puts in the history.
    Incident.objects.filter(pk=incident.pk).update(priority=1)
    services.transition(incident=incident.pk, user=people["resolver"], name="claim")
    step = item(incident, "prioritised")
    assert step.status == MISSED and "P1 for medium impact × medium urgency" in step.evidence
    assert "the matrix gave P3" in step.evidence


def test_prioritised_is_not_applicable_before_triage(people, clock):
    assert item(opened(people), "prioritised").status == NA


# --- known errors consulted ---------------------------------------------------------------------------
def test_known_error_consulted_is_met_by_a_new_issue_decision_before_the_resolve(people, clock):
    incident = triaged(people)
    known_errors.mark_new_issue(incident=incident.pk, user=people["agent"])
    incident = resolved(people, Incident.objects.get(pk=incident.pk))
    step = item(incident, "known_error_consulted")
    assert step.status == MET and "a new issue" in step.evidence
    assert step.event_id == event_of(incident, kind="classification").pk


def test_known_error_consulted_is_missed_on_a_resolve_without_a_decision_and_na_while_open(people, clock):
    open_one = triaged(people)
    assert item(open_one, "known_error_consulted").status == NA
    done = resolved(people, open_one)
    step = item(done, "known_error_consulted")
    assert step.status == MISSED and step.event_id == event_of(done, transition="resolve").pk


# --- escalated ----------------------------------------------------------------------------------------
def test_escalated_is_met_when_the_rules_escalated_a_breached_p1_and_na_without_a_breach(people, clock):
    incident = triaged(people, priority=1)
    assert item(incident, "escalated").status == NA
    clock.shift(timedelta(hours=4, minutes=1))  # past the P1 resolution target of 4 hours
    sweep.sweep()
    step = item(incident, "escalated")
    assert step.status == MET, step.evidence
    assert IncidentEvent.objects.get(pk=step.event_id).kind in ("escalation", "page")


def test_escalated_is_missed_when_a_target_breached_with_no_escalation(people, clock):
    for rule in EscalationRule.objects.all():
        rule.active = False
        rule.save()
    incident = triaged(people, priority=1)
    clock.shift(timedelta(hours=4, minutes=1))
    sweep.sweep()
    step = item(incident, "escalated")
    assert step.status == MISSED and "breached" in step.evidence and "no escalation before it" in step.evidence


# --- stakeholders updated ------------------------------------------------------------------------------
def test_stakeholders_updated_is_met_when_p1_updates_came_within_the_cadence(people, clock):
    incident = triaged(people, priority=1)
    for _ in range(2):
        clock.shift(timedelta(minutes=20))
        services.stakeholder_update(incident=incident, author=people["manager"], message="Still working on it.",
                                    public=True)
    clock.shift(timedelta(minutes=20))
    incident = resolved(people, Incident.objects.get(pk=incident.pk))
    step = item(incident, "stakeholders_updated")
    assert step.status == MET, step.evidence
    assert step.event_id == event_of(incident, kind="update").pk and "2 updates" in step.evidence


def test_stakeholders_updated_is_missed_after_a_gap_longer_than_the_cadence(people, clock):
    incident = triaged(people, priority=1)
    clock.shift(timedelta(minutes=10))
    services.stakeholder_update(incident=incident, author=people["manager"], message="Investigating.", public=True)
    first = event_of(incident, kind="update")
    clock.shift(timedelta(minutes=45))  # the P1 cadence is 30 minutes
    incident = resolved(people, Incident.objects.get(pk=incident.pk))
    step = item(incident, "stakeholders_updated")
    assert step.status == MISSED and step.event_id == first.pk
    assert "45 min" in step.evidence and "every 30 min" in step.evidence


def test_stakeholders_updated_is_not_applicable_to_a_p3(people, clock):
    step = item(resolved(people, triaged(people, priority=3), clock=clock, after=300), "stakeholders_updated")
    assert step.status == NA and "P1 and P2 only" in step.evidence


# --- fix recorded and restoration verified ----------------------------------------------------------------
def test_fix_recorded_is_met_on_the_resolve_with_its_code_and_notes_and_na_before(people, clock):
    incident = triaged(people)
    assert item(incident, "fix_recorded").status == NA
    incident = resolved(people, incident)
    step = item(incident, "fix_recorded")
    assert step.status == MET and "Restarted the VPN concentrator." in step.evidence
    assert step.event_id == event_of(incident, transition="resolve").pk


def test_restoration_verified_is_met_with_the_verification_missed_without_and_na_before(people, clock):
    open_one = triaged(people)
    assert item(open_one, "restoration_verified").status == NA
    verified = resolved(people, open_one, verification="Logged in from staging, then production.")
    step = item(verified, "restoration_verified")
    assert step.status == MET and "Logged in from staging, then production." in step.evidence
    unverified = resolved(people, triaged(people), verification="")
    step = item(unverified, "restoration_verified")
    assert step.status == MISSED and step.event_id == event_of(unverified, transition="resolve").pk


# --- closure ---------------------------------------------------------------------------------------------
def test_closure_is_met_when_the_reporter_confirms_the_fix(people, clock):
    incident = resolved(people, triaged(people))
    services.confirm_fix(incident=incident.pk, user=people["reporter"])
    step = item(incident, "closure_confirmed")
    assert step.status == MET and step.event_id == event_of(incident, transition="close").pk


def test_closure_is_met_once_the_grace_period_is_over(people, clock):
    incident = resolved(people, triaged(people))
    clock.shift(timedelta(days=7))  # three business days and a weekend
    sweep.sweep()
    step = item(incident, "closure_confirmed")
    assert Incident.objects.get(pk=incident.pk).state == "closed"
    assert step.status == MET and "after the grace period ended" in step.evidence


def test_closure_by_the_desk_before_the_grace_period_without_confirmation_is_missed_and_na_while_resolved(
    people, clock,
):
    incident = resolved(people, triaged(people))
    assert item(incident, "closure_confirmed").status == NA
    clock.shift(timedelta(hours=1))
    services.transition(incident=incident.pk, user=people["agent"], name="close", reason="Looks fine")
    step = item(incident, "closure_confirmed")
    assert step.status == MISSED and "before the grace period ended" in step.evidence


# --- the review and what follows from it ---------------------------------------------------------------
def published_review(people, incident: Incident, *, with_action: bool = True):
    review = reviews.create_required_review(incident.pk)
    review.root_cause = "An expired certificate on the concentrator."
    changed = {"root_cause"}
    if not with_action:
        review.no_action_reason = "The certificate now renews itself."
        changed.add("no_action_reason")
    reviews.review_save_edits(review=review, user=people["manager"], changed=changed)
    if with_action:
        ActionItemFactory(review=review, owner=people["resolver"], description="Monitor certificate expiry")
    reviews.review_transition(review=review.pk, user=people["manager"], name="submit")
    return reviews.review_transition(review=review.pk, user=people["manager"], name="publish")


def test_review_done_is_met_when_a_p1_review_is_published(people, clock):
    incident = resolved(people, triaged(people, priority=1))
    review = published_review(people, incident)
    step = item(incident, "review_done")
    assert step.status == MET and review.reference in step.evidence and "review history row #" in step.evidence


def test_review_done_is_missed_when_a_p1_closed_without_one_and_na_for_a_p4_or_before_closure(people, clock):
    p1 = resolved(people, triaged(people, priority=1))
    assert item(p1, "review_done").status == NA  # due by closure
    services.confirm_fix(incident=p1.pk, user=people["reporter"])  # the review was never created
    step = item(p1, "review_done")
    assert step.status == MISSED and "no post-incident review" in step.evidence
    p4 = resolved(people, triaged(people, priority=4))
    assert item(p4, "review_done").status == NA and "requires no review" in item(p4, "review_done").evidence


def test_knowledge_base_updated_is_met_when_the_review_proposal_created_a_known_error(people, clock):
    incident = resolved(people, triaged(people, priority=1))
    review = reviews.create_required_review(incident.pk)
    reviews.propose_known_error(review=review, user=people["manager"], title="VPN certificate expiry",
                                symptoms="Authentication failed for everyone at once.")
    review.refresh_from_db()
    step = item(incident, "knowledge_base_updated")
    assert step.status == MET and f"KE-{review.known_error_id}" in step.evidence


def test_knowledge_base_updated_is_missed_when_a_proposal_never_reached_the_knowledge_base_and_na_without(
    people, clock,
):
    incident = resolved(people, triaged(people, priority=1))
    review = reviews.create_required_review(incident.pk)
    assert item(incident, "knowledge_base_updated").status == NA
    review.proposed_known_error_title = "VPN certificate expiry"
    reviews.review_save_edits(review=review, user=people["manager"], changed={"proposed_known_error_title"})
    step = item(incident, "knowledge_base_updated")
    assert step.status == MISSED and "no known error was created" in step.evidence


def test_action_items_are_met_with_owners_or_a_reason_and_na_without_a_review(people, clock):
    incident = resolved(people, triaged(people, priority=1))
    assert item(incident, "action_items_owned").status == NA
    published_review(people, incident)
    step = item(incident, "action_items_owned")
    assert step.status == MET and str(people["resolver"]) in step.evidence
    other = resolved(people, triaged(people, priority=1))
    published_review(people, other, with_action=False)
    assert "needs no action" in item(other, "action_items_owned").evidence


def test_action_items_are_missed_when_the_incident_closed_with_a_review_that_has_none(people, clock, settings):
    settings.ITSM_REVIEW_BLOCKS_CLOSE = False
    incident = resolved(people, triaged(people, priority=1))
    reviews.create_required_review(incident.pk)
    services.confirm_fix(incident=incident.pk, user=people["reporter"])
    step = item(incident, "action_items_owned")
    assert step.status == MISSED and "no action item" in step.evidence


def test_a_withdrawn_incident_has_nothing_but_its_logging_to_answer_for(people, clock):
    incident = opened(people)
    services.transition(incident=incident, user=people["reporter"], name="cancel", reason="Works again")
    result = checklist(Incident.objects.get(pk=incident.pk))
    assert [i.key for i in result.items if i.status != NA] == ["logged"]
    assert result.score == (1, 1) and result.as_dict()["items"][0]["status"] == MET


def test_every_rule_is_documented_and_in_the_checklist_in_the_sops_order():
    from pathlib import Path

    from compliance.conformance import LABELS, rules

    assert [rule.__name__ for rule in rules.RULES] == list(LABELS)
    documented = (Path(__file__).resolve().parents[2] / "docs" / "conformance.md").read_text()
    for key, label in LABELS.items():
        assert f"| `{key}` | {label} |" in documented
