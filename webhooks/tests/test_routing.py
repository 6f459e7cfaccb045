"""Every incident event owes a delivery to each active endpoint that subscribed to its kind and
whose owner may see the incident, written in the event's own transaction; the SLA sweep's batches
owe theirs in a fixed number of statements."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import events, roles, services
from incidents.models import EventKind, Incident
from incidents.sla.tests.sla_support import MONDAY_10, claim, only_rules, open_incident, sweep
from incidents.tests.factories import UserFactory, make_incident
from webhooks import routing
from webhooks.models import Delivery, DeliveryState

from .factories import make_endpoint

pytestmark = pytest.mark.django_db


def owed(endpoint) -> list[str]:
    return list(Delivery.objects.filter(endpoint=endpoint).order_by("pk").values_list("event__kind", flat=True))


def test_an_event_owes_a_delivery_to_each_subscribed_active_endpoint_before_its_transaction_commits(
    manager, reporter, django_capture_on_commit_callbacks
):
    everything = make_endpoint(manager, name="Everything")
    comments = make_endpoint(manager, name="Comments only", events=[EventKind.COMMENT])
    switched_off = make_endpoint(manager, name="Switched off", active=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        incident = make_incident(reporter=reporter, summary="VPN drops every ten minutes")
        # Not committed yet: the rows are part of the transaction that wrote the event.
        assert owed(everything) == [EventKind.CREATED]
        services.comment_add(incident=incident, author=reporter, body="Still down", public=True)
    assert owed(everything) == [EventKind.CREATED, EventKind.COMMENT]
    assert owed(comments) == [EventKind.COMMENT]
    assert owed(switched_off) == []
    delivery = Delivery.objects.filter(endpoint=everything).first()
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 0 and delivery.payload == ""
    assert delivery.message_id.startswith("msg_")
    assert delivery.give_up_at == delivery.created_at + timedelta(hours=24)
    assert callbacks, "the sending is queued after commit"


def test_a_rolled_back_event_owes_nothing(manager, reporter, django_capture_on_commit_callbacks):
    endpoint = make_endpoint(manager)
    incident = make_incident(reporter=reporter)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True) as callbacks, \
            transaction.atomic():
        services.comment_add(incident=incident, author=reporter, body="Undone", public=True)
        raise RuntimeError("the change that owed it failed")
    assert owed(endpoint) == [EventKind.CREATED]
    assert callbacks == []


def test_a_confidential_incident_reaches_only_endpoints_whose_owner_may_see_it(
    manager, resolver, reporter, other_reporter, security_team, security_category, network_category
):
    security_member = UserFactory(username="sec", role=roles.RESOLVER, team=security_team)
    to = {
        "manager": make_endpoint(manager),
        "security member": make_endpoint(security_member),
        "network resolver": make_endpoint(resolver),
        "reporter": make_endpoint(reporter),
        "other reporter": make_endpoint(other_reporter),
    }
    breach = make_incident(reporter=reporter, category=security_category, summary="Phishing mail opened")
    outage = make_incident(reporter=other_reporter, category=network_category, summary="Wi-Fi down on floor 2")
    assert breach.confidential and not outage.confidential
    heard = {name: set(Delivery.objects.filter(endpoint=e).values_list("event__incident_id", flat=True))
             for name, e in to.items()}
    assert heard == {
        "manager": {breach.pk, outage.pk},
        "security member": {breach.pk, outage.pk},
        "network resolver": {outage.pk},  # staff, but not of the Security team
        "reporter": {breach.pk},  # their own incident only
        "other reporter": {outage.pk},
    }
    # The same rule as everywhere else: what the owner's incident list would show.
    for name, endpoint in to.items():
        assert heard[name] == set(Incident.objects.visible_to(endpoint.owner).values_list("pk", flat=True)), name


def test_an_endpoint_of_a_deactivated_account_hears_nothing(manager, reporter):
    endpoint = make_endpoint(manager)
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    make_incident(reporter=reporter)
    assert owed(endpoint) == []


def test_events_cost_one_query_more_when_no_endpoint_is_active(reporter):
    incident = make_incident(reporter=reporter)
    with CaptureQueriesContext(connection) as queries:
        assert routing.owe_deliveries([(1, incident.pk, EventKind.COMMENT)]) == []
    assert len(queries) == 1


def _sweep_rows(incidents, count: int) -> list[dict]:
    system = services.system_user()
    now = timezone.now()
    kinds = [EventKind.SLA_WARNING, EventKind.SLA_BREACH, EventKind.ESCALATION]
    return [{"incident_id": incidents[n % len(incidents)].pk, "kind": kinds[n % 3], "actor_id": system.pk,
             "created_at": now, "message": f"Notice {n}", "public": False} for n in range(count)]


def test_a_sweep_batch_owes_its_deliveries_in_the_same_statements_for_5_events_as_for_150(
    manager, resolver, reporter, network_category, security_category
):
    incidents = [make_incident(reporter=reporter, category=network_category, summary="Switch down"),
                 make_incident(reporter=reporter, category=security_category, summary="Malware found")]
    endpoints = [make_endpoint(manager), make_endpoint(resolver), make_endpoint(reporter),
                 make_endpoint(manager, name="Breaches", events=[EventKind.SLA_BREACH])]
    Delivery.objects.all().delete()

    def queries_for(count: int) -> int:
        rows = _sweep_rows(incidents, count)
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            ids = events.record_rows(rows)
        assert len(ids) == count
        return len(queries)

    few, many = queries_for(5), queries_for(150)
    assert few == many
    # Rows alternate between the two incidents (78 on the Network one, 77 on the confidential
    # one), and every third is a breach (52): the manager and the reporter hear them all, the
    # Network resolver the Network incident's only.
    counts = [Delivery.objects.filter(endpoint=e).count() for e in endpoints]
    assert counts == [155, 78, 155, 52]


def test_the_sla_sweep_owes_a_delivery_for_every_breach_it_records(reporter, network_category, resolver, manager):
    only_rules("Resolution target breached")
    endpoint = make_endpoint(manager, events=[EventKind.SLA_BREACH])
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        incidents = [claim(open_incident(1, reporter=reporter, category=network_category), resolver) for _ in range(3)]
        traveller.shift(timedelta(hours=5))
        sweep()
    delivered_about = Delivery.objects.filter(endpoint=endpoint).values_list("event__incident_id", flat=True)
    assert sorted(delivered_about) == sorted(i.pk for i in incidents)
