"""SLA metrics: MTTA, MTTR (elapsed and on the clock) and response/resolution met, by priority, team
and category over a period, on incidents driven through the real services under a frozen clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from compliance.metrics import selectors
from compliance.metrics.figures import Period
from core.durations import Mean, Share
from incidents import roles, services
from incidents.models import HoldReason, Priority
from incidents.tests import conftest as incident_fixtures
from incidents.tests.factories import CategoryFactory, TeamFactory, UserFactory, make_incident

# The incidents app's people and teams, as fixtures of this module.
manager = incident_fixtures.manager
network_category = incident_fixtures.network_category
network_team = incident_fixtures.network_team
platform_team = incident_fixtures.platform_team
reporter = incident_fixtures.reporter
resolver = incident_fixtures.resolver

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))
minutes, hours = (lambda n: timedelta(minutes=n)), (lambda n: timedelta(hours=n))


@pytest.fixture(autouse=True)
def _after_the_period():
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tick=False):
        yield


def drive(*, by, opened=DAY, respond=None, hold=None, resolve=None, impact="high", urgency="high", **fields):
    """An incident opened at `opened`, claimed `respond` later, on hold for the span `hold` (from,
    to: after the opening), resolved `resolve` after the opening: each step a service call at its
    own moment."""
    with time_machine.travel(opened, tick=False):
        incident = make_incident(impact=impact, urgency=urgency, **fields)
    if respond is not None:
        with time_machine.travel(opened + respond, tick=False):
            incident = services.transition(incident=incident, user=by, name="claim")
    if hold is not None:
        with time_machine.travel(opened + hold[0], tick=False):
            incident = services.transition(incident=incident, user=by, name="hold",
                                           hold_kind=HoldReason.objects.first(), hold_reason="Waiting for the carrier")
        with time_machine.travel(opened + hold[1], tick=False):
            incident = services.transition(incident=incident, user=by, name="resume")
    if resolve is not None:
        with time_machine.travel(opened + resolve, tick=False):
            incident = services.transition(incident=incident, user=by, name="resolve", resolution_code="fixed",
                                           resolution_notes="Replaced the line card.",
                                           verification="Tested in production with the reporter.")
    return incident


def p1(user, period=NOVEMBER):
    return selectors.by_priority(user, period)[0]


def test_mtta_is_the_mean_time_from_opening_to_first_response_and_response_met_counts_the_late_one(
    manager, resolver, reporter, network_category
):
    drive(by=resolver, reporter=reporter, category=network_category, respond=minutes(10))
    drive(by=resolver, reporter=reporter, category=network_category, respond=minutes(30))  # P1 target: 15 min

    row = p1(manager)
    assert row.label == Priority.P1.label
    assert row.opened == 2
    assert row.mtta == Mean(minutes(20), 2)
    assert row.response_met == Share(1, 2)


def test_mttr_on_the_clock_leaves_out_the_time_on_hold_and_resolution_met_follows_the_moved_deadline(
    manager, resolver, reporter, network_category
):
    drive(by=resolver, reporter=reporter, category=network_category, respond=minutes(5), resolve=hours(3))
    # Two hours on hold: the 4-hour target moves to 6 hours, so 5 hours is within it.
    drive(by=resolver, reporter=reporter, category=network_category, respond=minutes(5),
          hold=(hours(1), hours(3)), resolve=hours(5))
    drive(by=resolver, reporter=reporter, category=network_category, respond=minutes(5), resolve=hours(7))  # late

    row = p1(manager)
    assert row.resolved == 3
    assert row.mttr == Mean(hours(5), 3)  # (3 + 5 + 7) / 3
    assert row.mttr_on_clock == Mean(timedelta(hours=13) / 3, 3)  # (3 + 3 + 7) / 3
    assert row.resolution_met == Share(2, 3)
    assert round(row.resolution_met.percent, 1) == 66.7


def test_an_incident_still_waiting_for_its_first_response_within_its_target_counts_in_no_share(
    manager, reporter, network_category
):
    with time_machine.travel(DAY + minutes(5), tick=False):
        make_incident(reporter=reporter, category=network_category, impact="high", urgency="high")
        row = selectors.by_priority(manager, Period(date(2026, 11, 10), date(2026, 11, 10)))[0]
    assert (row.opened, row.response_met, row.mtta) == (1, Share(0, 0), Mean(None, 0))
    assert row.response_met.percent is None


def test_the_period_counts_openings_for_the_response_and_resolutions_for_the_resolution(
    manager, resolver, reporter, network_category
):
    # Opened on 31 October, resolved on 1 November: November's MTTR, October's MTTA.
    drive(by=resolver, reporter=reporter, category=network_category, opened=datetime(2026, 10, 31, 22, 0, tzinfo=UTC),
          respond=minutes(10), resolve=hours(3))
    november = p1(manager)
    october = p1(manager, Period(date(2026, 10, 1), date(2026, 10, 31)))
    assert (november.opened, november.resolved, november.mtta.count) == (0, 1, 0)
    assert november.mttr == Mean(hours(3), 1)
    assert (october.opened, october.resolved, october.mtta) == (1, 0, Mean(minutes(10), 1))


def test_figures_are_grouped_by_priority_team_and_category_with_the_unset_ones_last(
    manager, resolver, reporter, network_category, network_team, platform_team
):
    drive(by=resolver, reporter=reporter, category=network_category, respond=minutes(10))
    drive(by=resolver, reporter=reporter, category=network_category, respond=minutes(20), impact="low", urgency="low")
    storage = CategoryFactory(name="Storage", default_team=platform_team)
    drive(by=manager, reporter=reporter, category=storage, respond=minutes(40))
    no_team = drive(by=manager, reporter=reporter)  # no category, no team: answered by a public reply
    with time_machine.travel(DAY + minutes(50), tick=False):
        services.comment_add(incident=no_team, author=manager, body="We are looking into it.", public=True)

    report = selectors.sla_report(manager, NOVEMBER)
    assert [(r.key, r.opened) for r in report.by_priority] == [(1, 3), (2, 0), (3, 0), (4, 1)]
    assert [(r.label, r.opened, r.mtta.value) for r in report.by_team] == [
        ("Network", 2, minutes(15)), ("Platform", 1, minutes(40)), ("No team", 1, minutes(50))]
    assert [(r.label, r.opened) for r in report.by_category] == [("Network", 2), ("Storage", 1), ("No category", 1)]
    assert (report.total.opened, report.total.mtta) == (4, Mean(minutes(30), 4))


def test_drills_are_left_out_of_every_figure(manager, resolver, reporter, network_category):
    drive(by=resolver, reporter=reporter, category=network_category, respond=minutes(10))
    drive(by=resolver, reporter=reporter, category=network_category, respond=minutes(50), exercise=True)

    report = selectors.sla_report(manager, NOVEMBER)
    assert (report.total.opened, report.total.mtta) == (1, Mean(minutes(10), 1))
    assert report.by_team[0].opened == 1


@pytest.fixture
def confidential_and_security(manager, reporter, network_category):
    """An ordinary network incident, a confidential one of the network team, and a security one
    worked by the security team."""
    security_team = TeamFactory(name="CSIRT", slug="csirt", security=True)
    secops = CategoryFactory(name="Intrusion", default_team=security_team, security=True)
    hr = CategoryFactory(name="HR case", default_team=TeamFactory(name="People", slug="people"), confidential=True)
    for category in (network_category, hr, secops):
        drive(by=manager, reporter=reporter, category=category, respond=minutes(10))
    return security_team


def test_confidential_and_security_incidents_count_only_for_those_who_may_see_them(
    confidential_and_security, manager, resolver
):
    auditor = UserFactory(username="audrey", role=roles.AUDITOR)
    analyst = UserFactory(username="sam", role=roles.RESOLVER, team=confidential_and_security)

    assert selectors.total(manager, NOVEMBER).opened == 3
    assert selectors.total(auditor, NOVEMBER).opened == 1  # auditors read what is neither confidential nor security
    assert selectors.total(resolver, NOVEMBER).opened == 1  # a resolver outside both teams
    assert selectors.total(analyst, NOVEMBER).opened == 2  # the security team: the security one too
    assert {r.label for r in selectors.by_category(resolver, NOVEMBER)} == {"Network"}
    assert {r.label for r in selectors.by_team(analyst, NOVEMBER)} == {"Network", "CSIRT"}
