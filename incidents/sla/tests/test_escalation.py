"""Escalation rules as the SOP states them, fired by the sweep exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from incidents import notifications, services
from incidents.models import (
    Action,
    Escalation,
    EscalationPath,
    EscalationRule,
    EventKind,
    Incident,
    Notification,
    Trigger,
)
from incidents.sla import actions
from incidents.sla import sweep as escalation

from .sla_support import MONDAY_10, breaches, claim, fired, only_rules, open_incident, sweep, timeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


def test_p1_unassigned_15_minutes_escalates_to_incident_manager(
    clock, reporter, network_category, manager, django_capture_on_commit_callbacks
):
    only_rules("P1/P2 unassigned for 15 minutes")
    incident = open_incident(1, reporter=reporter, category=network_category)
    clock.shift(timedelta(minutes=14))
    assert sweep().escalations == 0
    clock.shift(timedelta(minutes=1))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep()
    assert result.escalations == 1
    assert fired(incident) == ["P1/P2 unassigned for 15 minutes: incident manager"]
    [event] = timeline(incident, EventKind.ESCALATION)
    assert "unassigned since" in event.message and "incident managers" in event.message
    assert [m.to for m in mail.outbox] == [[manager.email]]
    assert incident.reference in mail.outbox[0].subject


def test_p1_claimed_within_15_minutes_does_not_escalate(clock, reporter, network_category, resolver, manager):
    only_rules("P1/P2 unassigned for 15 minutes")
    incident = open_incident(1, reporter=reporter, category=network_category)
    clock.shift(timedelta(minutes=10))
    claim(incident, resolver)
    clock.shift(timedelta(minutes=10))
    sweep()
    assert fired(incident) == []


def test_p3_unassigned_is_not_escalated_by_the_p1_p2_rule(clock, reporter, network_category, manager):
    only_rules("P1/P2 unassigned for 15 minutes")
    incident = open_incident(3, reporter=reporter, category=network_category)
    clock.shift(timedelta(hours=1))
    sweep()
    assert fired(incident) == []


def test_sweep_run_twice_or_retried_fires_each_escalation_once(
    clock, reporter, network_category, manager, django_capture_on_commit_callbacks
):
    only_rules("P1/P2 unassigned for 15 minutes")
    incident = open_incident(1, reporter=reporter, category=network_category)
    clock.shift(timedelta(minutes=16))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sweep()
        sweep()
    # A retried task that lost its place: the same moment again, and the rows are already there.
    Incident.objects.filter(pk=incident.pk).update(next_due_at=MONDAY_10)
    with django_capture_on_commit_callbacks(execute=True):
        assert escalation.sweep().escalations == 0
    assert Escalation.objects.filter(incident=incident, rule__isnull=False).count() == 1
    assert len(mail.outbox) == 1
    # And a notice task delivered twice sends nothing more.
    event_ids = list(Notification.objects.filter(event__kind__in=notifications.NOTICE_KINDS)
                     .values_list("event_id", flat=True))
    assert event_ids
    assert notifications.deliver_notices(event_ids) == 0


def test_what_one_sweep_fires_reaches_each_person_as_one_email(
    clock, reporter, network_category, manager, django_capture_on_commit_callbacks
):
    # An unassigned P1 left 16 minutes: past its 15-minute response target and unassigned for 15
    # minutes. Both rules tell the incident managers.
    only_rules("P1/P2 unassigned for 15 minutes", "Response target breached")
    incident = open_incident(1, reporter=reporter, category=network_category)
    clock.shift(timedelta(minutes=16))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep().escalations == 2
    [message] = mail.outbox
    assert message.to == [manager.email]
    assert message.subject.startswith(f"[{incident.reference}] 2 SLA notices")
    assert "unassigned since" in message.body and "target has passed" in message.body
    assert Notification.objects.filter(event__kind__in=notifications.NOTICE_KINDS, sent_at__isnull=True).count() == 0
    assert Notification.objects.filter(recipient=manager.email).count() == 2  # one row per notice, still


def test_p3_75_percent_of_response_target_warns_the_team(clock, reporter, network_category, network_team):
    only_rules("75% of response target")
    network_team.email = "network@example.com"
    network_team.save()
    incident = open_incident(3, reporter=reporter, category=network_category)
    # P3 responds within 4 business hours from Monday 10:00: 75% is 13:00.
    assert incident.respond_by == MONDAY_10 + timedelta(hours=4)
    clock.shift(timedelta(hours=2, minutes=59))
    sweep()
    assert fired(incident) == []
    clock.shift(timedelta(minutes=1))
    sweep()
    assert fired(incident) == ["75% of response target: team"]
    [warning] = timeline(incident, EventKind.SLA_WARNING)
    assert "75% of the response target" in warning.message
    assert list(Notification.objects.filter(event=warning).values_list("recipient", flat=True)) == [
        "network@example.com"
    ]


def test_response_breach_marks_the_incident_and_tells_the_incident_manager(
    clock, reporter, network_category, manager
):
    only_rules("Response target breached")
    incident = open_incident(2, reporter=reporter, category=network_category)
    clock.shift(timedelta(minutes=30))
    sweep()
    incident.refresh_from_db()
    assert incident.response_breached is True
    assert breaches(incident) == ["response"]
    assert fired(incident) == ["Response target breached: incident manager"]
    assert [e.kind for e in timeline(incident, EventKind.SLA_BREACH, EventKind.ESCALATION)] == [
        EventKind.SLA_BREACH, EventKind.ESCALATION,
    ]


def test_thresholds_passed_together_fire_only_the_strongest(clock, reporter, network_category, manager):
    """A sweep that was down for an hour does not send the 75% and 90% warnings after the breach."""
    only_rules("75% of response target", "90% of response target", "Response target breached")
    incident = open_incident(1, reporter=reporter, category=network_category)
    clock.shift(timedelta(hours=1))
    result = sweep()
    assert (result.escalations, result.superseded) == (1, 2)
    acted = Escalation.objects.filter(incident=incident, rule__isnull=False, superseded=False)
    assert [e.rule.name for e in acted] == ["Response target breached: incident manager"]


def test_resolution_breach_routes_to_the_tier_3_team(
    clock, reporter, network_category, resolver, platform_team, network_team
):
    only_rules("Resolution target breached: route")
    EscalationPath.objects.create(team=network_team, escalates_to=platform_team)
    incident = open_incident(1, reporter=reporter, category=network_category)
    claim(incident, resolver)
    clock.shift(timedelta(hours=4))
    sweep()
    incident.refresh_from_db()
    assert incident.team == platform_team
    assert incident.assignee is None
    assert incident.resolution_breached is True
    route = incident.history.order_by("history_id").last()
    assert route.history_user.username == services.SYSTEM_USERNAME
    assert "Escalated" in route.history_change_reason
    [event] = timeline(incident, EventKind.ESCALATION)
    assert f"Routed to {platform_team}" in event.message


def test_route_without_an_escalation_path_says_so(clock, reporter, network_category, resolver):
    only_rules("Resolution target breached: route")
    incident = open_incident(1, reporter=reporter, category=network_category)
    claim(incident, resolver)
    clock.shift(timedelta(hours=4))
    sweep()
    [event] = timeline(incident, EventKind.ESCALATION)
    assert "set an escalation path" in event.message


def test_raise_priority_and_mark_major_actions(clock, reporter, network_category, manager):
    only_rules()
    EscalationRule.objects.create(name="P3 unassigned 30 min: raise", up_to_priority=3, trigger=Trigger.UNASSIGNED,
                                  minutes=30, action=Action.RAISE_PRIORITY)
    EscalationRule.objects.create(name="P3 unassigned 30 min: major", up_to_priority=3, trigger=Trigger.UNASSIGNED,
                                  minutes=30, action=Action.MARK_MAJOR)
    incident = open_incident(3, reporter=reporter, category=network_category)
    clock.shift(timedelta(minutes=30))
    sweep()
    incident.refresh_from_db()
    assert incident.priority == 2
    assert incident.is_major is True
    assert incident.commander is None  # declared by the system: a manager names the commander
    assert incident.history.filter(history_change_reason__startswith="Declared a major incident").exists()
    # Priority changed, so the deadlines are the P2 ones now.
    assert incident.respond_by == incident.opened_at + timedelta(minutes=30)
    assert incident.sla_cycle == 1


def test_an_incident_on_hold_is_not_escalated_for_its_targets(clock, reporter, network_category, resolver):
    only_rules("Response target breached", "Resolution target breached: incident")
    incident = open_incident(1, reporter=reporter, category=network_category)
    incident = claim(incident, resolver)
    services.transition(incident=incident, user=resolver, name="hold", hold_reason="Waiting for the vendor")
    clock.shift(timedelta(hours=6))
    sweep()
    assert fired(incident) == []


def test_sweep_query_count_grows_with_due_incidents_not_open_ones(
    clock, reporter, network_category, manager
):
    only_rules("P1/P2 unassigned for 15 minutes")
    due = [open_incident(1, reporter=reporter, category=network_category) for _ in range(3)]
    clock.shift(timedelta(minutes=20))
    services.system_user()  # created once, on the first sweep ever

    def counted(open_count: int) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        Escalation.objects.all().delete()
        Incident.objects.filter(pk__in=[i.pk for i in due]).update(next_due_at=MONDAY_10)
        quiet = Incident.objects.filter(pk__in=[i.pk for i in due]).first()
        existing = Incident.objects.exclude(pk__in=[i.pk for i in due]).count()
        # Open incidents with nothing due for days.
        template = Incident.objects.get(pk=quiet.pk)
        clones = []
        for n in range(open_count - existing):
            template.pk = None
            template.id = None
            template.reference = f"INC-Q{open_count}-{n}"
            template.next_due_at = MONDAY_10 + timedelta(days=30)
            clones.append(Incident(**{f.attname: getattr(template, f.attname) for f in Incident._meta.concrete_fields}))
        Incident.objects.bulk_create(clones)
        with CaptureQueriesContext(connection) as queries:
            result = sweep()
        assert result.escalations == 3
        return len(queries)

    at_ten = counted(10)
    at_thousand = counted(1000)
    assert Incident.objects.open().count() >= 1000
    assert at_ten == at_thousand


def _sweep_queries() -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        sweep()
    return [q["sql"] for q in queries.captured_queries]


def _breaching(count: int, *, reporter, category, resolver) -> list[Incident]:
    incidents = [claim(open_incident(1, reporter=reporter, category=category), resolver) for _ in range(count)]
    return incidents


def test_needless_route_and_notices_cost_no_queries_per_due_incident(
    clock, reporter, network_category, resolver, manager
):
    # No escalation path: routing has nothing to do, and the sweep can tell from the locked row.
    only_rules("Resolution target breached")
    services.system_user()

    def queries_for(count: int) -> int:
        incidents = _breaching(count, reporter=reporter, category=network_category, resolver=resolver)
        clock.shift(timedelta(hours=5))
        sql = _sweep_queries()
        for incident in incidents:
            assert "set an escalation path" in Escalation.objects.get(
                incident=incident, rule__action=Action.ROUTE_UP).outcome
            assert Notification.objects.filter(event__incident=incident, recipient=manager.email).count() == 1
        return len(sql)

    assert queries_for(2) == queries_for(20)


def test_routing_by_the_sweep_reuses_its_sla_configuration(
    clock, reporter, network_category, resolver, platform_team, network_team
):
    only_rules("Resolution target breached: route")
    EscalationPath.objects.create(team=network_team, escalates_to=platform_team)
    incidents = _breaching(5, reporter=reporter, category=network_category, resolver=resolver)
    clock.shift(timedelta(hours=5))
    sql = _sweep_queries()
    assert Incident.objects.filter(pk__in=[i.pk for i in incidents], team=platform_team).count() == 5
    # Five saves through the services, each refreshing the clock: the configuration is looked up
    # (at most loaded) once for the whole sweep, and the escalation paths read once.
    for table in ("slaconfigstamp", "escalationrule", "businesscalendar", "businesshours", "holiday"):
        assert sum(f'FROM "incidents_{table}"' in q for q in sql) <= 1, table
    assert sum('FROM "incidents_escalationpath"' in q for q in sql) == 1
    for incident in incidents:
        [event] = timeline(incident, EventKind.ESCALATION)
        assert event.message.endswith(f"Routed to {platform_team}.")
        assert Escalation.objects.get(incident=incident, rule__isnull=False).outcome.endswith(
            f"Routed to {platform_team}.")


def test_beat_runs_the_sweep_every_minute(settings):
    from incidents import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["sla-sweep"]
    assert entry["task"] == tasks.sla_sweep.name and entry["schedule"] == 60.0
    assert tasks.sla_sweep.acks_late and tasks.sla_sweep.max_retries == 3
    assert tasks.sla_sweep.soft_time_limit < tasks.sla_sweep.time_limit < 60


def test_default_rules_come_back_after_a_flush_but_not_after_an_admin_removed_them():
    from incidents.sla import defaults as sla_defaults

    EscalationRule.objects.all().delete()  # an admin's deletion leaves history
    sla_defaults.ensure()
    assert not EscalationRule.objects.exists()
    EscalationRule.history.all().delete()  # what a test database flush leaves: nothing
    sla_defaults.ensure()
    assert EscalationRule.objects.count() == len(sla_defaults.RULES)


def test_a_row_fired_by_another_worker_meanwhile_fails_the_batch_and_each_incident_fires_once(
    clock, reporter, network_category, manager, monkeypatch
):
    only_rules("P1/P2 unassigned for 15 minutes")
    first, second = (open_incident(1, reporter=reporter, category=network_category) for _ in range(2))
    clock.shift(timedelta(minutes=16))
    real_fired_keys = escalation.clock.fired_keys
    raced = []

    def fired_keys_then_another_worker_fires(ids):
        keys = real_fired_keys(ids)
        if not raced:  # between this read and the batch's insert, another worker fires `first`
            raced.append(True)
            rule = EscalationRule.objects.get(name__startswith="P1/P2 unassigned", active=True)
            incident = Incident.objects.get(pk=first.pk)
            Escalation.objects.create(incident=incident, rule=rule, key=escalation.clock.rule_key(rule, incident),
                                      fired_at=MONDAY_10, due_at=MONDAY_10, outcome="by the other worker")
        return keys

    monkeypatch.setattr(escalation.clock, "fired_keys", fired_keys_then_another_worker_fires)
    result = sweep()
    assert (result.due, result.escalations, result.errors) == (2, 1, 0)  # counted once, not per attempt
    assert [e.outcome for e in Escalation.objects.filter(incident=first, rule__isnull=False)] == ["by the other worker"]
    assert fired(second) == ["P1/P2 unassigned for 15 minutes: incident manager"]
    assert timeline(first, EventKind.ESCALATION) == []


def test_an_incident_that_cannot_be_processed_does_not_hold_up_the_others(
    clock, reporter, network_category, manager, monkeypatch
):
    only_rules("P1/P2 unassigned for 15 minutes")
    broken, healthy = (open_incident(1, reporter=reporter, category=network_category) for _ in range(2))
    clock.shift(timedelta(minutes=16))
    real_describe = actions.describe

    def describe(point, incident):
        if incident.pk == broken.pk:
            raise RuntimeError("a bug that only this incident's data triggers")
        return real_describe(point, incident)

    monkeypatch.setattr(actions, "describe", describe)
    result = sweep()
    assert (result.due, result.escalations, result.errors) == (1, 1, 1)
    assert fired(healthy) == ["P1/P2 unassigned for 15 minutes: incident manager"]
    assert fired(broken) == []
    broken.refresh_from_db()
    assert broken.next_due_at == MONDAY_10 + timedelta(minutes=16) + escalation.RETRY_AFTER
    monkeypatch.setattr(actions, "describe", real_describe)
    clock.shift(escalation.RETRY_AFTER)
    assert sweep().escalations == 1
    assert fired(broken) == ["P1/P2 unassigned for 15 minutes: incident manager"]


def test_incidents_older_than_the_clock_get_it_without_a_flood_of_past_escalations(
    clock, reporter, network_category, manager, resolver, django_capture_on_commit_callbacks
):
    # As after the first deploy of the SLA engine, or an import: open incidents without a clock,
    # which migration 0004 marks as due now.
    old = open_incident(2, reporter=reporter, category=network_category)
    unassigned = open_incident(1, reporter=reporter, category=network_category)
    clock.shift(timedelta(days=3))
    Incident.objects.filter(pk__in=[old.pk, unassigned.pk]).update(
        sla_priority=None, respond_by=None, resolve_by=None, next_due_at=MONDAY_10 + timedelta(days=3),
        unassigned_since=None)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep()
    assert mail.outbox == []
    assert result.escalations == 0 and result.breaches == 4 and result.before_clock > 0
    old.refresh_from_db()
    assert (old.response_breached, old.resolution_breached) == (True, True)
    assert old.respond_by == old.opened_at + timedelta(minutes=30)  # the clock runs from the opening
    outcomes = set(Escalation.objects.filter(incident=old, rule__isnull=False).values_list("outcome", flat=True))
    assert outcomes == {"Passed before the incident had an SLA clock: recorded, not acted on."}
    assert [e.kind for e in timeline(old, EventKind.SLA_BREACH)] == [EventKind.SLA_BREACH] * 2

    # What falls due from now on is acted on as usual: the unassigned P1 escalates 15 minutes later.
    clock.shift(timedelta(minutes=15))
    with django_capture_on_commit_callbacks(execute=True):
        later = sweep()
    assert later.escalations >= 1
    assert "P1/P2 unassigned for 15 minutes: incident manager" in fired(unassigned)
    assert [m.to for m in mail.outbox if unassigned.reference in m.subject]


def test_an_old_incident_edited_before_the_first_sweep_gets_no_flood_either(
    clock, reporter, network_category, agent, manager, django_capture_on_commit_callbacks
):
    old = open_incident(2, reporter=reporter, category=network_category)
    clock.shift(timedelta(days=3))
    Incident.objects.filter(pk=old.pk).update(sla_priority=None, sla_started_at=None, respond_by=None,
                                              resolve_by=None, next_due_at=None, unassigned_since=None)
    # An agent edits it before any sweep: the save starts its clock, from its opening time.
    fresh = Incident.objects.get(pk=old.pk)
    fresh.summary = f"{fresh.summary} (all sites)"
    services.incident_save_edits(incident=fresh, user=agent, changed={"summary"})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep()
    assert (result.escalations, mail.outbox) == (0, [])
    assert result.before_clock > 0 and result.breaches == 2
