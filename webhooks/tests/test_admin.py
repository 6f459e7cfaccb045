"""Webhooks in the admin: incident managers manage every endpoint, other staff their own; the
secret is shown to its owner only; the delivery log is read-only, costs the same queries for 1
row as for 50, and sends a message again under the same webhook-id."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.tests.api_support import assert_constant_queries, count_queries
from incidents import events, services
from incidents.models import EventKind
from incidents.tests.factories import UserFactory, make_incident
from webhooks.models import Delivery, DeliveryState, Endpoint, PayloadFormat

from .factories import make_endpoint

pytestmark = pytest.mark.django_db

ADD = reverse("admin:webhooks_endpoint_add")
ENDPOINTS = reverse("admin:webhooks_endpoint_changelist")
DELIVERIES = reverse("admin:webhooks_delivery_changelist")


def change_url(endpoint) -> str:
    return reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])


def form(owner, **fields) -> dict:
    return {"name": "Network chat", "url": "https://hooks.slack.com/services/T0/B0/X", "owner": owner.pk,
            "payload_format": PayloadFormat.SLACK, "events": [EventKind.CREATED, EventKind.SLA_BREACH],
            "active": "on", **fields}


def shown_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_a_manager_adds_an_endpoint_and_is_shown_its_signing_secret_once_saved(client, manager):
    client.force_login(manager)
    response = client.post(ADD, form(manager), follow=True)
    endpoint = Endpoint.objects.get()
    assert endpoint.owner == manager and endpoint.payload_format == PayloadFormat.SLACK
    assert endpoint.events == [EventKind.CREATED, EventKind.SLA_BREACH]
    assert endpoint.secret.startswith("whsec_")
    assert any(endpoint.secret in message for message in shown_messages(response))
    assert endpoint.secret in client.get(change_url(endpoint)).content.decode()


def test_the_signing_secret_is_shown_to_its_owner_only(client, manager, resolver):
    endpoint = make_endpoint(resolver)
    client.force_login(manager)
    page = client.get(change_url(endpoint)).content.decode()
    assert endpoint.secret not in page and "Shown to its owner (nick) only." in page
    client.force_login(resolver)
    assert endpoint.secret in client.get(change_url(endpoint)).content.decode()


def test_a_manager_creating_an_endpoint_for_someone_else_is_not_shown_its_secret(client, manager, resolver):
    client.force_login(manager)
    response = client.post(ADD, form(resolver), follow=True)
    endpoint = Endpoint.objects.get()
    assert endpoint.owner == resolver
    assert not any(endpoint.secret in message for message in shown_messages(response))


def test_a_resolver_manages_their_own_endpoints_only(client, resolver, manager, other_resolver):
    own = make_endpoint(resolver, name="Mine")
    theirs = make_endpoint(other_resolver, name="Platform's")
    client.force_login(resolver)
    listed = client.get(ENDPOINTS).context["cl"].result_list
    assert list(listed) == [own]
    assert client.get(change_url(theirs)).status_code == 302  # "does not exist" for them
    # The owner they may choose is themselves only.
    response = client.post(ADD, form(manager, name="For the manager"))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    client.post(ADD, form(resolver, name="Second"))
    assert Endpoint.objects.filter(owner=resolver).count() == 2


def test_an_endpoint_is_owned_by_active_staff_only(client, manager, resolver, agent, reporter, other_resolver):
    other_resolver.is_active = False
    other_resolver.save(update_fields=["is_active"])
    client.force_login(manager)
    offered = client.get(ADD).context["adminform"].form.fields["owner"].queryset
    assert list(offered) == [agent, manager, resolver]  # by user name: dana, maria, nick
    for refused in (reporter, other_resolver):
        response = client.post(ADD, form(refused, name=f"For {refused.username}"))
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Endpoint.objects.exists()
    # The model says so too (its owner field's `limit_choices_to`), whatever form saves it.
    with pytest.raises(ValidationError, match="owner"):
        Endpoint(name="Reporter's", url="https://hooks.example.com/r", owner=reporter).full_clean()


def test_only_incident_managers_may_delete_an_endpoint(client, resolver, manager):
    endpoint = make_endpoint(resolver)
    delete = reverse("admin:webhooks_endpoint_delete", args=[endpoint.pk])
    client.force_login(resolver)
    assert client.post(delete, {"post": "yes"}).status_code == 403
    client.force_login(manager)
    client.post(delete, {"post": "yes"})
    assert not Endpoint.objects.exists()


def test_reporters_have_no_webhooks_in_the_admin(client, reporter):
    client.force_login(reporter)
    assert client.get(ENDPOINTS).status_code == 302  # to the admin's login: not staff


def test_a_url_inside_the_network_is_refused_by_the_form(client, manager, settings):
    settings.ITSM_WEBHOOK_ALLOW_PRIVATE = False
    client.force_login(manager)
    for url, refusal in [("http://169.254.169.254/latest/meta-data/", "private or local address"),
                         ("https://bot:hunter2@hooks.example.com/in", "may not hold a user name or password"),
                         ("ftp://hooks.example.com/in", "Only http and https")]:
        response = client.post(ADD, form(manager, url=url))
        assert response.status_code == 200 and refusal in response.content.decode(), url
    assert not Endpoint.objects.exists()


def test_switching_an_endpoint_back_on_clears_why_it_was_disabled(client, manager):
    endpoint = make_endpoint(manager)
    Endpoint.objects.filter(pk=endpoint.pk).update(active=False, consecutive_failures=20, disabled_at=timezone.now(),
                                                   disabled_reason="Disabled after 20 failed attempts in a row")
    client.force_login(manager)
    client.post(change_url(endpoint), form(manager, url=endpoint.url))
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.consecutive_failures == 0 and endpoint.disabled_reason == ""


def test_switching_an_endpoint_off_by_hand_records_who_and_owes_no_email(client, manager, mailoutbox):
    endpoint = make_endpoint(manager)
    client.force_login(manager)
    client.post(change_url(endpoint), {**form(manager, url=endpoint.url), "active": ""})
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_reason == "Switched off by maria."
    assert endpoint.disabled_notice_sent_at is not None and mailoutbox == []


def test_rotating_the_secret_keeps_the_previous_one_signing_for_a_while(client, manager):
    endpoint = make_endpoint(manager)
    old = endpoint.secret
    client.force_login(manager)
    client.post(ENDPOINTS, {"action": "rotate_secret", "_selected_action": [endpoint.pk]})
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    assert endpoint.signing_secrets() == [endpoint.secret, old]


def test_redeliver_sends_the_same_message_again_after_commit(
    client, manager, reporter, receiver, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(manager, receiver, events=[EventKind.CREATED])
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(reporter=reporter)
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.state == DeliveryState.DELIVERED and len(receiver.accepted) == 1
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(DELIVERIES, {"action": "redeliver", "_selected_action": [delivery.pk]}, follow=True)
    assert "1 message(s) queued to be sent again." in shown_messages(response)
    assert len(receiver.accepted) == 1  # nothing is sent inside the admin's request
    for callback in callbacks:
        callback()
    first, again = receiver.accepted
    assert again.message_id == first.message_id == delivery.message_id and again.body == first.body
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 2


def test_a_resolver_sees_the_deliveries_of_their_own_endpoints_only(client, resolver, manager, reporter):
    own = make_endpoint(resolver)
    make_endpoint(manager)
    make_incident(reporter=reporter)
    client.force_login(resolver)
    listed = client.get(DELIVERIES).context["cl"].result_list
    assert [d.endpoint_id for d in listed] == [own.pk]


def test_the_delivery_log_is_read_only(client, manager, reporter):
    make_endpoint(manager)
    make_incident(reporter=reporter)
    delivery = Delivery.objects.get()
    client.force_login(manager)
    page = client.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk]))
    assert page.status_code == 200 and delivery.message_id in page.content.decode()
    assert client.get(reverse("admin:webhooks_delivery_add")).status_code == 403
    assert client.post(reverse("admin:webhooks_delivery_delete", args=[delivery.pk]), {"post": "yes"}).status_code == 403


def test_the_delivery_log_costs_the_same_queries_for_1_and_50_deliveries(client, manager, reporter):
    make_endpoint(manager, name="Chat")
    make_endpoint(manager, name="Pager", active=False)  # listed in the filter, owed nothing
    incident = make_incident(reporter=reporter)
    client.force_login(manager)
    one, _ = count_queries(lambda: client.get(DELIVERIES))
    system = services.system_user()
    events.record_rows([{"incident_id": incident.pk, "kind": EventKind.SLA_WARNING, "actor_id": system.pk,
                         "created_at": timezone.now(), "message": f"Warning {n}", "public": False}
                        for n in range(49)])
    Delivery.objects.filter(pk__in=Delivery.objects.values("pk")[:10]).update(
        state=DeliveryState.DELIVERED, response_code=200, latency_ms=12, attempts=1)
    many, response = count_queries(lambda: client.get(DELIVERIES))
    assert len(response.context["cl"].result_list) == 50
    assert_constant_queries("admin.webhooks.deliveries", one, many)


def test_the_endpoint_list_costs_the_same_queries_for_1_and_50_endpoints(client, manager):
    make_endpoint(manager, name="First", events=[EventKind.CREATED])
    client.force_login(manager)
    one, _ = count_queries(lambda: client.get(ENDPOINTS))
    for n in range(49):
        make_endpoint(UserFactory(username=f"owner{n}"), name=f"Endpoint {n}", events=[EventKind.COMMENT])
    many, response = count_queries(lambda: client.get(ENDPOINTS))
    assert len(response.context["cl"].result_list) == 50
    assert_constant_queries("admin.webhooks.endpoints", one, many)


def test_the_endpoint_list_shows_where_a_url_goes_but_not_its_path_which_is_a_credential(client, manager):
    make_endpoint(manager, url="https://hooks.slack.com/services/T0AAA/B0BBB/s3cr3tT0ken")
    client.force_login(manager)
    page = client.get(ENDPOINTS).content.decode()
    assert "https://hooks.slack.com/…" in page and "s3cr3tT0ken" not in page
