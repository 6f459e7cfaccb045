"""Each process keeps the SLA configuration it loaded until the configuration's stamp changes."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from incidents.models import BusinessCalendar, BusinessHours, EscalationRule, Holiday, SlaPolicy
from incidents.sla import clock

pytestmark = pytest.mark.django_db


def test_an_unchanged_configuration_costs_one_query_per_use():
    first = clock.current_config()
    with CaptureQueriesContext(connection) as queries:
        again = clock.current_config()
    assert again is first
    assert len(queries) == 1 and "incidents_slaconfigstamp" in queries[0]["sql"]


@pytest.mark.parametrize("change", [
    "save a policy", "delete a rule", "add a holiday", "edit business hours", "update in bulk", "create in bulk",
])
def test_every_kind_of_change_is_seen_at_the_next_use(change):
    before = clock.current_config()
    office = BusinessCalendar.objects.get(name="Office hours")
    if change == "save a policy":
        policy = SlaPolicy.objects.get(priority=2)
        policy.update_minutes = 45
        policy.save()
    elif change == "delete a rule":
        EscalationRule.objects.filter(name__startswith="75% of response").delete()
    elif change == "add a holiday":
        Holiday.objects.create(calendar=office, date="2025-12-25", name="Christmas")
    elif change == "edit business hours":
        hours = BusinessHours.objects.filter(calendar=office).first()
        hours.opens = hours.opens.replace(hour=8)
        hours.save()
    elif change == "update in bulk":
        SlaPolicy.objects.filter(priority=2).update(update_minutes=45)
    else:
        EscalationRule.objects.bulk_create([EscalationRule(name="Extra", up_to_priority=1, trigger="unassigned",
                                                           minutes=1, action="notify_manager")])
    after = clock.current_config()
    assert after is not before
    assert after is clock.current_config()  # and kept again from then on
    if change in ("save a policy", "update in bulk"):
        assert after.policies[2].update_minutes == 45
    if change == "delete a rule":
        assert not [r for r in after.rules if r.name.startswith("75% of response")]


def test_a_change_that_rolls_back_leaves_no_trace_in_any_process():
    clock.current_config()  # a configuration is kept from before the change
    with pytest.raises(RuntimeError), transaction.atomic():
        SlaPolicy.objects.filter(priority=1).update(response_minutes=5)
        inside = clock.current_config()
        assert inside.policies[1].response_minutes == 5
        raise RuntimeError("the admin's save failed after the policy was written")
    after = clock.current_config()
    assert after.policies[1].response_minutes == 15
    assert after is not inside


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_elsewhere_is_seen_here():
    kept = clock.current_config()
    assert kept.policies[3].response_minutes == 4 * 60

    def another_process_edits_the_policy():
        try:
            policy = SlaPolicy.objects.get(priority=3)
            policy.response_minutes = 2 * 60
            policy.save()
        finally:
            connection.close()

    elsewhere = threading.Thread(target=another_process_edits_the_policy)
    elsewhere.start()
    elsewhere.join()
    assert clock.current_config().policies[3].response_minutes == 2 * 60


def test_deleting_a_rules_target_team_is_seen_at_once():
    from incidents.models import Team
    from incidents.tests.factories import TeamFactory

    tier3 = TeamFactory(name="Tier 3", slug="tier-3")
    EscalationRule.objects.create(name="Route to tier 3", up_to_priority=4, trigger="resolution", percent=100,
                                  action="route_up", target_team=tier3)
    assert [r.target_team for r in clock.current_config().rules if r.name == "Route to tier 3"] == [tier3]
    Team.objects.filter(pk=tier3.pk).delete()  # empties the rule's target without saving the rule
    assert [r.target_team for r in clock.current_config().rules if r.name == "Route to tier 3"] == [None]


def test_a_stamp_loaded_from_a_fixture_is_renewed_at_once():
    from incidents.models import SlaConfigStamp

    kept = clock.current_config()
    held = SlaConfigStamp.objects.get(pk=1).token
    SlaConfigStamp(pk=1, token=held).save_base(raw=True)  # what loaddata does with a dumped stamp
    assert SlaConfigStamp.objects.get(pk=1).token != held
    assert clock.current_config() is not kept


def test_every_migrate_renews_the_stamp():
    from incidents.models import SlaConfigStamp
    from incidents.sla import defaults as sla_defaults

    before = SlaConfigStamp.objects.get(pk=1).token
    sla_defaults.ensure()  # the post_migrate receiver
    assert SlaConfigStamp.objects.get(pk=1).token != before
