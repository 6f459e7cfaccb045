"""Every incident event owes a delivery to each active endpoint that subscribed to its kind and
whose owner may read that event (every event for staff who read the whole record, the public ones
for a reporter), written in the event's own transaction; the SLA sweep's batches, and any number
of endpoint owners, cost a fixed number of statements."""

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
from webhooks.models import Delivery, DeliveryState, Endpoint

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


def test_work_notes_and_internal_events_reach_only_owners_who_read_the_whole_record(
    manager, resolver, reporter, security_team, security_category, network_category
):
    """A reporter reads an incident's public events only, and so does a staff member who reported
    a confidential incident outside their own team: their endpoints hear no more."""
    security_member = UserFactory(username="sec", role=roles.RESOLVER, team=security_team)
    to = {"manager": make_endpoint(manager), "security member": make_endpoint(security_member),
          "reporter": make_endpoint(reporter), "resolver who reported": make_endpoint(resolver)}
    outage = make_incident(reporter=reporter, category=network_category, summary="Wi-Fi down on floor 2")
    breach = make_incident(reporter=resolver, category=security_category, summary="I opened a phishing mail")
    assert breach.confidential and resolver.pk == breach.reporter_id
    for incident, reporter_of in [(outage, reporter), (breach, resolver)]:
        services.comment_add(incident=incident, author=manager, body="Checking the logs", public=False)
        services.comment_add(incident=incident, author=manager, body="We are on it", public=True)
        services.comment_add(incident=incident, author=reporter_of, body="Thanks", public=True)

    def heard(endpoint) -> dict[str, list[str]]:
        rows = Delivery.objects.filter(endpoint=endpoint).order_by("pk")
        return {ref: [message for i, message in rows.values_list("event__incident__reference", "event__message")
                      if i == ref] for ref in (outage.reference, breach.reference)}

    opened = "Opened via Portal"
    everything = [opened, "Checking the logs", "We are on it", "Thanks"]
    public = [opened, "We are on it", "Thanks"]
    assert heard(to["manager"]) == {outage.reference: everything, breach.reference: everything}
    assert heard(to["security member"]) == {outage.reference: everything, breach.reference: everything}
    assert heard(to["reporter"]) == {outage.reference: public, breach.reference: []}
    # Staff, so the Network incident's whole record; only the reporter of the confidential one.
    assert heard(to["resolver who reported"]) == {outage.reference: everything, breach.reference: public}


def test_the_fan_out_costs_the_same_queries_for_1_endpoint_owner_as_for_20(
    manager, resolver, reporter, network_team, security_team, network_category, security_category
):
    incidents = [make_incident(reporter=reporter, category=network_category, summary="Switch down"),
                 make_incident(reporter=reporter, category=security_category, summary="Malware found")]
    opened = [(incident.events.get().pk, incident.pk, EventKind.CREATED) for incident in incidents]
    make_endpoint(manager)

    def route_each_event() -> tuple[int, list[int]]:
        """Each event on its own, as a service records it: (queries, deliveries owed per event)."""
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            owed = [len(routing.owe_deliveries([row])) for row in opened]
            transaction.set_rollback(True)
        return len(queries), owed

    # Each event: the endpoints and owners, the owners' roles, their teams, the events, the insert.
    one, owed = route_each_event()
    assert owed == [1, 1]
    kinds = [(roles.RESOLVER, network_team), (roles.RESOLVER, security_team), (roles.DESK_AGENT, None),
             (roles.INCIDENT_MANAGER, None), (roles.REPORTER, None)]
    for n in range(19):
        role, team = kinds[n % len(kinds)]
        make_endpoint(UserFactory(username=f"owner{n}", role=role, team=team))
    assert Endpoint.objects.values("owner").distinct().count() == 20
    twenty, owed = route_each_event()
    # The Network incident reaches the 17 staff among the 20 owners (not the 3 reporters); the
    # confidential one its Security team's 4 resolvers and the 5 incident managers.
    assert twenty == one and owed == [17, 9]


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
    # one), and every third is a breach (52): the manager hears them all, the Network resolver the
    # Network incident's only, and the reporter none: SLA notices are internal events, which the
    # reporter of both incidents does not read.
    counts = [Delivery.objects.filter(endpoint=e).count() for e in endpoints]
    assert counts == [155, 78, 0, 52]


def test_the_sla_sweep_owes_a_delivery_for_every_breach_it_records(reporter, network_category, resolver, manager):
    only_rules("Resolution target breached")
    endpoint = make_endpoint(manager, events=[EventKind.SLA_BREACH])
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        incidents = [claim(open_incident(1, reporter=reporter, category=network_category), resolver) for _ in range(3)]
        traveller.shift(timedelta(hours=5))
        sweep()
    delivered_about = Delivery.objects.filter(endpoint=endpoint).values_list("event__incident_id", flat=True)
    assert sorted(delivered_about) == sorted(i.pk for i in incidents)
