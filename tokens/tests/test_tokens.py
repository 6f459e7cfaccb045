"""API tokens: issued in the admin and shown once, kept as a digest, refused once revoked or expired,
each person managing their own; and how the API answers a missing or bad credential."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.api.throttling import PerTokenThrottle
from core.tests.api_support import assert_constant_queries, assert_error, count_queries
from incidents import roles
from incidents.tests.factories import UserFactory
from tokens import services
from tokens.models import ApiToken

API_ROOT = "/api/v1/"
CHANGELIST = reverse("admin:tokens_apitoken_changelist")
ADD = reverse("admin:tokens_apitoken_add")


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def agent(db):
    return UserFactory(username="dana", role=roles.DESK_AGENT)


@pytest.fixture
def manager(db):
    return UserFactory(username="ivan", role=roles.INCIDENT_MANAGER)


@pytest.fixture
def monitoring(db):
    return UserFactory(username="monitoring", role=roles.REPORTER)


def test_the_key_is_stored_only_as_its_digest(agent):
    token, key = services.issue(user=agent, name="My laptop script")
    row = ApiToken.objects.get(pk=token.pk)
    assert key.startswith(f"itsm_{row.prefix}_")
    assert key not in {row.digest, row.prefix, row.name}
    assert row.digest == services.digest(key)


def test_a_token_authenticates_its_user_and_records_when_and_from_where(agent):
    token, key = services.issue(user=agent, name="Script")
    response = bearer(key).get(API_ROOT, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_ip == "10.1.2.3"


def test_last_use_is_written_at_most_once_a_minute(agent):
    token, key = services.issue(user=agent, name="Script")
    client = bearer(key)
    client.get(API_ROOT)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    client.get(API_ROOT)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        client.get(API_ROOT)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer itsm_nope_nope", "Bearer a b", "Token itsm_"])
def test_a_missing_or_bad_credential_is_401_in_the_error_shape(header, agent):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    body = assert_error(client.get(API_ROOT), 401)
    assert body["code"] in ("not_authenticated", "authentication_failed")


def test_a_401_names_the_bearer_scheme(db):
    response = APIClient().get(API_ROOT)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused(agent, manager):
    token, key = services.issue(user=agent, name="Script")
    assert services.revoke(token, by=manager)
    assert_error(bearer(key).get(API_ROOT), 401, "authentication_failed")
    assert not services.revoke(token, by=manager)  # once is enough


def test_an_expired_token_is_refused(agent):
    _, key = services.issue(user=agent, name="Script", expires_at=timezone.now() + timedelta(days=1))
    assert bearer(key).get(API_ROOT).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert_error(bearer(key).get(API_ROOT), 401)


def test_the_token_of_a_deactivated_account_is_refused(agent):
    _, key = services.issue(user=agent, name="Script")
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    assert_error(bearer(key).get(API_ROOT), 401)


def test_a_token_with_the_right_prefix_but_wrong_secret_is_refused(agent):
    token, key = services.issue(user=agent, name="Script")
    forged = f"itsm_{token.prefix}_{'x' * 43}"
    assert forged != key
    assert_error(bearer(forged).get(API_ROOT), 401)


def test_the_admin_shows_a_new_key_once_and_never_again(client, agent):
    client.force_login(agent)
    response = client.post(ADD, {"user": agent.pk, "name": "Grafana panel"}, follow=True)
    token = ApiToken.objects.get(user=agent)
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    key = shown.split('<code class="api-token">')[1].split("</code>")[0]
    assert services.digest(key) == token.digest
    assert bearer(key).get(API_ROOT).status_code == 200
    change = client.get(reverse("admin:tokens_apitoken_change", args=[token.pk]))
    assert change.status_code == 200 and key not in change.content.decode()
    assert key not in client.get(CHANGELIST).content.decode()


def test_an_agent_issues_and_sees_only_their_own_tokens(client, agent, manager, monitoring):
    services.issue(user=manager, name="Manager's script")
    client.force_login(agent)
    response = client.post(ADD, {"user": monitoring.pk, "name": "Someone else's"})
    assert response.status_code == 200 and not ApiToken.objects.filter(user=monitoring).exists()
    names = [t.name for t in client.get(CHANGELIST).context["cl"].result_list]
    assert names == []


def test_an_incident_manager_issues_a_token_for_a_monitoring_account_and_revokes_it(client, manager, monitoring):
    client.force_login(manager)
    client.post(ADD, {"user": monitoring.pk, "name": "Alertmanager"})
    token = ApiToken.objects.get(user=monitoring)
    assert token.created_by == manager
    client.post(CHANGELIST, {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == manager


def test_tokens_are_never_deleted_so_their_use_stays_on_record(client, manager, agent):
    token, _ = services.issue(user=agent, name="Script")
    client.force_login(manager)
    assert client.post(reverse("admin:tokens_apitoken_delete", args=[token.pk]), {"post": "yes"}).status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_an_expiry_in_the_past_is_refused(client, agent):
    client.force_login(agent)
    response = client.post(ADD, {"user": agent.pk, "name": "Old", "expires_at_0": "2001-01-01", "expires_at_1": "10:00"})
    assert response.status_code == 200 and "must be in the future" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_token_list_costs_the_same_queries_for_1_and_50_tokens(client, manager):
    client.force_login(manager)
    services.issue(user=manager, name="One")
    one, _ = count_queries(lambda: client.get(CHANGELIST))
    for n in range(49):
        services.issue(user=UserFactory(), name=f"Token {n}")
    many, response = count_queries(lambda: client.get(CHANGELIST))
    assert len(response.context["cl"].result_list) == 50
    assert_constant_queries("admin.tokens.apitoken", one, many)


def test_too_many_requests_per_token_is_429_with_retry_after(agent, monkeypatch):
    monkeypatch.setattr(PerTokenThrottle, "THROTTLE_RATES", {"token": "3/min", "anon": "60/min"})
    _, key = services.issue(user=agent, name="Busy script")
    _, other_key = services.issue(user=agent, name="Quiet script")
    client = bearer(key)
    for _ in range(3):
        assert client.get(API_ROOT).status_code == 200
    body = assert_error(client.get(API_ROOT), 429, "throttled")
    assert body["retry_after"] >= 1
    assert bearer(other_key).get(API_ROOT).status_code == 200  # one budget per token


def test_anonymous_requests_are_limited_per_address(db, monkeypatch):
    from core.api.throttling import AnonymousIPThrottle

    monkeypatch.setattr(AnonymousIPThrottle, "THROTTLE_RATES", {"token": "60/min", "anon": "2/min"})
    client = APIClient()
    for _ in range(2):
        assert client.get(API_ROOT, REMOTE_ADDR="192.0.2.7").status_code == 401
    assert_error(client.get(API_ROOT, REMOTE_ADDR="192.0.2.7"), 429)
    assert client.get(API_ROOT, REMOTE_ADDR="192.0.2.8").status_code == 401


def test_guessing_tokens_is_slowed_down_per_address(db, monkeypatch):
    from core.api.throttling import AnonymousIPThrottle

    monkeypatch.setattr(AnonymousIPThrottle, "THROTTLE_RATES", {"token": "60/min", "anon": "2/min"})
    for _ in range(2):
        assert_error(bearer("itsm_abcd1234_guess").get(API_ROOT, REMOTE_ADDR="192.0.2.9"), 401, "authentication_failed")
    assert_error(bearer("itsm_abcd1234_guess").get(API_ROOT, REMOTE_ADDR="192.0.2.9"), 429, "throttled")


def test_a_manager_issues_tokens_for_reporting_accounts_but_not_for_colleagues_or_superusers(client, manager,
                                                                                         agent, monitoring):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(manager)
    for account in (agent, root):
        response = client.post(ADD, {"user": account.pk, "name": "Act as them"})
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not ApiToken.objects.filter(user__in=[agent, root]).exists()
    with pytest.raises(PermissionError):
        services.issue(user=agent, name="Act as them", created_by=manager)
    assert set(services.accounts_for(manager)) == {manager, monitoring}


def test_a_superuser_issues_for_anyone(agent):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    token, _ = services.issue(user=agent, name="Migration script", created_by=root)
    assert token.user == agent and token.created_by == root


def test_a_client_sent_forwarded_for_header_does_not_dodge_the_limit(db, monkeypatch):
    from core.api.throttling import AnonymousIPThrottle

    monkeypatch.setattr(AnonymousIPThrottle, "THROTTLE_RATES", {"token": "60/min", "anon": "2/min"})
    for n in range(2):
        bearer("itsm_abcd1234_guess").get(API_ROOT, REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert_error(bearer("itsm_abcd1234_guess").get(API_ROOT, REMOTE_ADDR="192.0.2.10",
                                                  HTTP_X_FORWARDED_FOR="198.51.100.99"), 429)


def test_behind_a_trusted_proxy_the_last_hop_it_adds_is_the_client(agent, settings, monkeypatch):
    from rest_framework.settings import api_settings

    monkeypatch.setattr(api_settings, "NUM_PROXIES", 1)
    token, key = services.issue(user=agent, name="Script")
    bearer(key).get(API_ROOT, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    token.refresh_from_db()
    assert token.last_used_ip == "198.51.100.7"
