"""Regulatory clocks escalated by the SLA sweep (the beat's `incidents.tasks.sla_sweep`): at 50%,
75% and 100% of the window the incident managers, the incident's team and, for a security
incident, the security team are told, once, whatever the sweep does twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection

from incidents import notifications
from incidents.models import Notification
from incidents.notifications import deliver_sla_notices as sla_notices
from incidents.sla import sweep as sla
from incidents.sla.tests.sla_support import only_rules
from incidents.tasks import sla_sweep
from incidents.tests.factories import CategoryFactory, make_incident
from response.models import RegulatoryClock, RegulatoryThreshold
from response.regulatory import services

from .regulatory_support import *  # noqa: F403  (its fixtures)
from .regulatory_support import MONDAY_10, regulatory_events

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quiet_sla(db):
    # The incidents' own escalation rules stay out of the way: these tests are about the clocks.
    only_rules("no rule is named so")


def regulatory_mail() -> list:
    return [m for m in mail.outbox if "Regulatory clock" in m.subject]


def thresholds(applied: RegulatoryClock) -> list[tuple[int, bool]]:
    return list(RegulatoryThreshold.objects.filter(clock=applied).order_by("percent").values_list("percent", "notified"))


def test_a_gdpr_clock_escalates_at_50_75_and_100_percent_through_the_sweep(
        clock, breach, manager, gdpr, django_capture_on_commit_callbacks):
    applied = services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    mail.outbox.clear()
    clock.shift(timedelta(hours=35, minutes=59))
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_sweep()["steps_fired"] == 0
    assert thresholds(applied) == []

    clock.shift(timedelta(minutes=1))  # 36 h: half of 72
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_sweep()["steps_fired"] == 1
    assert thresholds(applied) == [(50, True)]
    assert "50% of the 72-hour window to notify" in regulatory_events(breach)[-1]
    told = sorted(address for m in regulatory_mail() for address in m.to)
    assert told == sorted([manager.email, "security@example.com"])  # its team is the security team
    message = regulatory_mail()[0]
    assert message.subject.startswith(f"[{breach.reference}] Regulatory clock")
    assert "50% of the 72-hour window" in message.body

    clock.shift(timedelta(hours=18))  # 54 h: 75%
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_sweep()["steps_fired"] == 1
    assert thresholds(applied) == [(50, True), (75, True)]
    assert "75% of the 72-hour window" in regulatory_events(breach)[-1]
    assert len(regulatory_mail()) == 2

    clock.shift(timedelta(hours=18))  # 72 h: the deadline
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_sweep()["steps_fired"] == 1
    assert thresholds(applied) == [(50, True), (75, True), (100, True)]
    assert "the 72-hour deadline to notify" in regulatory_events(breach)[-1]
    assert "has passed" in regulatory_events(breach)[-1]
    applied.refresh_from_db()
    assert applied.next_threshold_at is None and applied.running  # overdue, still owed

    clock.shift(timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_sweep()["steps_fired"] == 0


def test_the_incidents_team_and_the_security_team_are_both_told_for_a_security_incident(
        clock, reporter, manager, gdpr, network_team, security_team, data_breach_category,
        django_capture_on_commit_callbacks):
    network_team.email = "network@example.com"
    network_team.save()
    category = CategoryFactory(name="Leaked VPN credentials", default_team=network_team, security=True)
    incident = make_incident(reporter=reporter, category=category)
    assert incident.security and incident.team == network_team
    services.apply_clock(incident=incident, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    mail.outbox.clear()
    clock.shift(timedelta(hours=36))
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()
    told = sorted(address for m in regulatory_mail() for address in m.to)
    assert told == sorted([manager.email, "network@example.com", "security@example.com"])
    assert "Notified the incident managers, Network, the security team." in regulatory_events(incident)[-1]


def test_a_clock_on_an_ordinary_incident_tells_its_team_and_the_managers_not_the_security_team(
        clock, reporter, manager, gdpr, network_category, network_team, data_breach_category,
        django_capture_on_commit_callbacks):
    network_team.email = "network@example.com"
    network_team.save()
    incident = make_incident(reporter=reporter, category=network_category)
    services.apply_clock(incident=incident, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    mail.outbox.clear()
    clock.shift(timedelta(hours=36))
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()
    told = sorted(address for m in regulatory_mail() for address in m.to)
    assert told == sorted([manager.email, "network@example.com"])


def test_a_stopped_clock_does_not_escalate(clock, breach, manager, gdpr, django_capture_on_commit_callbacks):
    applied = services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    services.decide_not_notifiable(clock=applied, user=manager, reason="Only public data was exposed.")
    clock.shift(timedelta(hours=80))
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_sweep()["steps_fired"] == 0
    assert thresholds(applied) == []


def test_thresholds_passed_before_the_clock_was_applied_are_recorded_not_notified(
        clock, breach, manager, gdpr, django_capture_on_commit_callbacks):
    # Aware 60 hours ago, applied now: 50% and 75% passed before anyone applied it.
    applied = services.apply_clock(incident=breach, user=manager, regulation=gdpr,
                                   aware_at=MONDAY_10 - timedelta(hours=60))
    assert "83% of it had elapsed already" in regulatory_events(breach)[-1]
    mail.outbox.clear()
    clock.shift(timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_sweep()["steps_fired"] == 0
    assert thresholds(applied) == [(50, False), (75, False)]
    assert "Passed before the clock was applied" in RegulatoryThreshold.objects.filter(clock=applied).first().outcome
    assert regulatory_mail() == []
    clock.shift(timedelta(hours=12))  # the deadline comes while the clock runs: that one is told
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_sweep()["steps_fired"] == 1
    assert thresholds(applied) == [(50, False), (75, False), (100, True)]
    assert regulatory_mail()


def test_thresholds_due_together_after_an_outage_notify_only_the_strongest(
        clock, breach, manager, gdpr, django_capture_on_commit_callbacks):
    applied = services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    clock.shift(timedelta(hours=60))  # no sweep ran since the clock was applied
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_sweep()["steps_fired"] == 1
    assert thresholds(applied) == [(50, False), (75, True)]
    assert len(regulatory_events(breach)) == 2  # applied, 75%


def test_sweep_run_twice_or_a_task_delivered_twice_fires_each_threshold_once(
        clock, breach, manager, gdpr, django_capture_on_commit_callbacks):
    applied = services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    clock.shift(timedelta(hours=36))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()
        sla_sweep()
    # A retried task that lost its place: the clock's next threshold put back, the row already there.
    RegulatoryClock.objects.filter(pk=applied.pk).update(next_threshold_at=MONDAY_10)
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_sweep()["steps_fired"] == 0
    assert thresholds(applied) == [(50, True)]
    assert len(regulatory_mail()) == 2  # the manager and the security team, once each
    # And the notice task delivered twice sends nothing more.
    event_ids = list(Notification.objects.filter(event__kind="regulatory").values_list("event_id", flat=True))
    assert event_ids and notifications.deliver_notices(event_ids) == 0
    assert len(regulatory_mail()) == 2


def test_unsent_threshold_notices_are_relayed_as_sla_notices(clock, breach, manager, gdpr):
    services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    clock.shift(timedelta(hours=36))
    sla_sweep()  # on-commit callbacks not run: the broker was down
    clock.shift(timedelta(minutes=10))
    found = list(notifications.stale(written_before=MONDAY_10 + timedelta(hours=37),
                                     written_after=MONDAY_10, limit=100))
    event_ids = list(Notification.objects.filter(event__kind="regulatory").values_list("event_id", flat=True))
    assert (sla_notices, (sorted(set(event_ids)),)) in [(task, args) for task, args in found]


def test_a_failing_clock_does_not_hold_up_the_others(clock, breach, manager, gdpr, reporter, network_category,
                                                      monkeypatch, django_capture_on_commit_callbacks):
    other = make_incident(reporter=reporter, category=network_category)
    first = services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    second = services.apply_clock(incident=other, user=manager, regulation=gdpr, aware_at=MONDAY_10)
    clock.shift(timedelta(hours=36))
    broken = RegulatoryClock.threshold_at

    def threshold_at(self, percent):
        if self.pk == first.pk:
            raise RuntimeError("a bad row")
        return broken(self, percent)

    monkeypatch.setattr(RegulatoryClock, "threshold_at", threshold_at)
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_sweep()["steps_fired"] == 1
    assert thresholds(second) == [(50, True)] and thresholds(first) == []
    first.refresh_from_db()
    assert first.next_threshold_at == MONDAY_10 + timedelta(hours=36, minutes=5)  # retried later


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_fire_each_threshold_once(require_postgres, clock, breach, manager, gdpr,
                                                      reporter, network_category):
    clocks = [services.apply_clock(incident=breach, user=manager, regulation=gdpr, aware_at=MONDAY_10)]
    for n in range(5):
        incident = make_incident(reporter=reporter, category=network_category, summary=f"Laptop stolen {n}")
        clocks.append(services.apply_clock(incident=incident, user=manager, regulation=gdpr, aware_at=MONDAY_10))
    clock.shift(timedelta(hours=36))
    barrier = threading.Barrier(2)
    results: list[int] = []

    def run() -> None:
        try:
            barrier.wait()
            # Small batches, so that the two sweeps interleave over the clocks.
            results.append(sla.sweep(batch_size=1).steps_fired)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 6, results
    assert RegulatoryThreshold.objects.filter(percent=50).count() == 6
    assert Notification.objects.filter(event__kind="regulatory", recipient=manager.email).count() == 6
