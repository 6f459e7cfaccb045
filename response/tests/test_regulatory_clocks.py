"""Regulatory clocks on an incident: the catalogue, applying a clock from the awareness time, and
stopping it by the notice or by deciding it not notifiable (with a reason)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.errors import WorkflowError
from response.models import ClockState, Regulation, RegulatoryClock
from response.regulatory import services

from .regulatory_support import *  # noqa: F403  (its fixtures)
from .regulatory_support import MONDAY_10, regulatory_events

pytestmark = pytest.mark.django_db


def test_gdpr_and_hipaa_are_in_the_catalogue_after_migrate_with_their_windows(gdpr, hipaa):
    assert gdpr.window == timedelta(hours=72) and gdpr.active
    assert hipaa.window == timedelta(days=60) and hipaa.active
    assert gdpr.authority and hipaa.authority


def test_a_regulation_needs_a_positive_window_and_a_unique_code(gdpr):
    with pytest.raises(ValidationError) as refused:
        Regulation(name="Nil", code="nil", window=timedelta(0)).full_clean()
    assert "The window must be longer than zero." in refused.value.message_dict["window"]
    with pytest.raises(ValidationError) as refused:
        Regulation(name="GDPR again", code="gdpr", window=timedelta(hours=1)).full_clean()
    assert "code" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Regulation.objects.create(name="Negative", code="neg", window=timedelta(hours=-1))


def test_a_gdpr_clock_is_due_72_wall_clock_hours_after_awareness(clock, breach, manager, gdpr):
    aware = MONDAY_10 - timedelta(hours=5)
    applied = services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=aware)
    # Calendar time, not business hours: Monday 05:00 + 72 h is Thursday 05:00, nights included.
    assert applied.due_at == aware + timedelta(hours=72)
    assert applied.next_threshold_at == aware + timedelta(hours=36)
    assert applied.state == ClockState.RUNNING and applied.applied_by == manager
    assert applied.elapsed_percent() == 6
    [event] = regulatory_events(breach)
    assert "GDPR" in event and "72-hour window" in event and "Thu 05 Jun 2025 05:00" in event


def test_a_hipaa_clock_is_due_60_days_after_awareness(clock, breach, manager, hipaa):
    applied = services.apply_clock(incident=breach, user=manager, regulation=hipaa, aware_at=MONDAY_10)
    assert applied.due_at == MONDAY_10 + timedelta(days=60)
    assert "60-day window" in regulatory_events(breach)[0]


def test_an_admin_defined_regulation_applies_its_own_window(clock, breach, manager):
    ccpa = Regulation.objects.create(name="State breach law", code="state", window=timedelta(days=30))
    applied = services.apply_clock(incident=breach, user=manager, regulation=ccpa, aware_at=MONDAY_10)
    assert applied.due_at == MONDAY_10 + timedelta(days=30)
    # Editing the regulation later moves no running deadline.
    ccpa.window = timedelta(days=10)
    ccpa.save()
    applied.refresh_from_db()
    assert applied.due_at == MONDAY_10 + timedelta(days=30)


def test_awareness_in_the_future_is_refused(clock, breach, manager, gdpr):
    with pytest.raises(services.ClockRefused, match="is in the future") as refused:
        services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10 + timedelta(hours=1))
    assert refused.value.field == "aware_at"
    assert not RegulatoryClock.objects.exists()


def test_awareness_long_before_the_incident_was_opened_is_refused_as_a_likely_typo(clock, breach, manager, gdpr):
    with pytest.raises(services.ClockRefused, match="more than 30 days before .* was opened"):
        services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10 - timedelta(days=31))
    # Awareness a little before the report is normal: found on Friday, logged on Monday.
    services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10 - timedelta(days=3))


def test_one_clock_per_regulation_per_incident(clock, breach, manager, gdpr, hipaa):
    services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    with pytest.raises(services.ClockRefused, match="already has a GDPR"):
        services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    services.apply_clock(incident=breach, user=manager, regulation=hipaa, aware_at=MONDAY_10)
    assert breach.regulatory_clocks.count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        RegulatoryClock.objects.create(incident=breach, regulation=gdpr, aware_at=MONDAY_10, window=gdpr.window,
                                       due_at=MONDAY_10, applied_by=manager)


def test_an_inactive_regulation_is_not_applied(clock, breach, manager, gdpr):
    gdpr.active = False
    gdpr.save()
    with pytest.raises(services.ClockRefused, match="not active"):
        services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)


def test_someone_who_does_not_work_the_incident_cannot_apply_or_stop_a_clock(clock, breach, manager, gdpr,
                                                                              other_resolver, reporter):
    for outsider in (other_resolver, reporter):
        with pytest.raises(WorkflowError, match="Only an incident manager or someone working on"):
            services.apply_clock(incident=breach, user=outsider, regulation=gdpr, aware_at=MONDAY_10)
    applied = services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    with pytest.raises(WorkflowError, match="Only an incident manager or someone working on"):
        services.decide_not_notifiable(clock=applied, user=other_resolver, reason="No personal data")


def test_the_security_team_working_the_incident_applies_a_clock(clock, breach, security_team, gdpr):
    from incidents import roles
    from incidents.tests.factories import UserFactory

    analyst = UserFactory(username="sam", role=roles.RESOLVER, team=security_team)
    applied = services.apply_clock(incident=breach, user=analyst, regulation=gdpr, aware_at=MONDAY_10)
    assert applied.applied_by == analyst


def test_recording_the_notice_stops_the_clock_with_whom_when_and_by_whom(clock, breach, manager, gdpr):
    applied = services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    clock.shift(timedelta(hours=30))
    sent = MONDAY_10 + timedelta(hours=29)
    stopped = services.record_notice(clock=applied, user=manager, notified_to="ICO (casework@ico.org.uk)",
                                     notified_at=sent, reference="ICO-2025-0142, initial report form")
    assert stopped.state == ClockState.NOTIFIED and stopped.next_threshold_at is None
    assert (stopped.notified_to, stopped.notified_at, stopped.stopped_by) == ("ICO (casework@ico.org.uk)", sent, manager)
    assert stopped.notice_reference == "ICO-2025-0142, initial report form"
    assert stopped.elapsed_percent() == 40  # sent at 29 of 72 hours: it no longer moves
    clock.shift(timedelta(days=5))
    assert stopped.elapsed_percent() == 40
    message = regulatory_events(breach)[-1]
    assert "GDPR notice sent to ICO (casework@ico.org.uk)" in message and "ICO-2025-0142" in message
    assert "The clock is stopped." in message and "after the deadline" not in message


def test_a_notice_after_the_deadline_says_so_on_the_timeline(clock, breach, manager, gdpr):
    applied = services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    clock.shift(timedelta(hours=80))
    services.record_notice(clock=applied, user=manager, notified_to="ICO", notified_at=MONDAY_10 + timedelta(hours=75),
                           reference="late report")
    assert "after the deadline" in regulatory_events(breach)[-1]


def test_a_notice_needs_its_recipient_reference_and_a_sensible_time(clock, breach, manager, gdpr):
    applied = services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    cases = [
        ({"notified_to": " ", "notified_at": MONDAY_10, "reference": "x"}, "notified_to", "Say whom"),
        ({"notified_to": "ICO", "notified_at": MONDAY_10, "reference": ""}, "reference", "reference or what was sent"),
        ({"notified_to": "ICO", "notified_at": MONDAY_10 + timedelta(minutes=1), "reference": "x"}, "notified_at",
         "in the future"),
        ({"notified_to": "ICO", "notified_at": MONDAY_10 - timedelta(minutes=1), "reference": "x"}, "notified_at",
         "before the awareness time"),
    ]
    for fields, field, sentence in cases:
        with pytest.raises(services.ClockRefused, match=sentence) as refused:
            services.record_notice(clock=applied, user=manager, **fields)
        assert refused.value.field == field
    applied.refresh_from_db()
    assert applied.running and applied.notified_to == ""


def test_not_notifiable_requires_a_reason(clock, breach, manager, gdpr):
    applied = services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    with pytest.raises(services.ClockRefused, match="Say why no notice is owed") as refused:
        services.decide_not_notifiable(clock=applied, user=manager, reason="   ")
    assert refused.value.field == "reason"
    applied.refresh_from_db()
    assert applied.running
    stopped = services.decide_not_notifiable(clock=applied, user=manager,
                                             reason="The exposed table held only hashed test accounts.")
    assert stopped.state == ClockState.NOT_NOTIFIABLE and stopped.stopped_by == manager
    assert stopped.stopped_at == MONDAY_10 and stopped.next_threshold_at is None
    assert "decided not notifiable by" in regulatory_events(breach)[-1]
    assert "hashed test accounts" in regulatory_events(breach)[-1]


def test_a_stopped_clock_refuses_a_second_stop_and_says_how_it_was_stopped(clock, breach, manager, gdpr):
    applied = services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    services.record_notice(clock=applied, user=manager, notified_to="ICO", notified_at=MONDAY_10, reference="ref 1")
    with pytest.raises(WorkflowError, match="already stopped: the notice was recorded .* by maria"):
        services.record_notice(clock=applied, user=manager, notified_to="ICO", notified_at=MONDAY_10, reference="2")
    with pytest.raises(WorkflowError, match="already stopped: the notice was recorded"):
        services.decide_not_notifiable(clock=applied.pk, user=manager, reason="changed my mind")
    applied.refresh_from_db()
    assert applied.state == ClockState.NOTIFIED and applied.notice_reference == "ref 1"
    assert len(regulatory_events(breach)) == 2  # applied, notified: no third


def test_the_demo_starts_a_gdpr_clock_on_its_security_incident_once(clock, manager, reporter, data_breach_category):
    from types import SimpleNamespace

    from incidents.tests.factories import make_incident
    from response import demo

    incident = make_incident(reporter=reporter, category=data_breach_category, summary=demo.SECURITY_SUMMARY)
    org = SimpleNamespace(users={"maria": manager})
    assert demo.seed_regulatory(org) == 1
    assert demo.seed_regulatory(org) == 0
    started = incident.regulatory_clocks.get()
    assert started.regulation.code == "gdpr" and started.running
    assert started.aware_at == MONDAY_10 - timedelta(minutes=90)
