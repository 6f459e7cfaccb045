"""The naive loop the SLA benchmark compares the sweep with: it must do the same work, or the
comparison says nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from bench.sla_sweep import naive_sweep
from incidents.models import Escalation, Incident
from incidents.sla import sweep as escalation
from incidents.sla.tests.sla_support import MONDAY_10, only_rules, open_incident
from incidents.tests.conftest import *  # noqa: F403  (the incident fixtures)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


def test_naive_loop_for_the_benchmark_fires_the_same_escalations(clock, reporter, network_category, manager):
    only_rules("P1/P2 unassigned for 15 minutes", "75% of response target")
    incidents = [open_incident(p, reporter=reporter, category=network_category) for p in (1, 2, 3, 4)]
    clock.shift(timedelta(hours=3))
    naive = naive_sweep()
    by_naive = sorted(Escalation.objects.values_list("incident_id", "key"))
    Escalation.objects.all().delete()
    Incident.objects.filter(pk__in=[i.pk for i in incidents]).update(next_due_at=MONDAY_10)
    indexed = escalation.sweep()
    assert sorted(Escalation.objects.values_list("incident_id", "key")) == by_naive
    assert (naive.escalations, naive.breaches) == (indexed.escalations, indexed.breaches) == (5, 2)

