"""Repeated failed sign-ins lock that user name from that address, on the portal's login and the
admin's; every attempt, failed or not, is there for an administrator to see."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.urls import reverse

from incidents.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture
def rita(settings):
    settings.AXES_FAILURE_LIMIT = 5
    return UserFactory(username="rita", password=PASSWORD)


def sign_in(client, url: str, username: str, password: str):
    return client.post(url, {"username": username, "password": password})


@pytest.mark.parametrize("login", ["login", "admin:login"])
def test_five_failed_sign_ins_lock_the_user_name_even_for_the_right_password(client, rita, login):
    url = reverse(login)
    for _ in range(4):
        assert sign_in(client, url, "rita", "guess").status_code == 200  # the form again, with its error
    locked = sign_in(client, url, "rita", "guess")
    assert locked.status_code == 429 and b"Too many sign-in attempts" in locked.content
    again = sign_in(client, url, "rita", PASSWORD)
    assert again.status_code == 429 and "_auth_user_id" not in client.session
    attempt = AccessAttempt.objects.get(username="rita")
    assert attempt.failures_since_start >= 5  # the locked-out try counts too
    assert AccessFailureLog.objects.filter(username="rita").count() >= 5


def test_the_lock_is_per_user_name_a_colleague_on_the_same_network_still_signs_in(client, rita):
    UserFactory(username="oscar", password=PASSWORD)
    for _ in range(5):
        sign_in(client, reverse("login"), "rita", "guess")
    response = sign_in(client, reverse("login"), "oscar", PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"]


def test_a_successful_sign_in_is_logged_and_clears_the_failures(client, rita):
    for _ in range(3):
        sign_in(client, reverse("login"), "rita", "guess")
    assert sign_in(client, reverse("login"), "rita", PASSWORD).status_code == 302
    assert AccessLog.objects.filter(username="rita").exists()
    assert not AccessAttempt.objects.filter(username="rita", failures_since_start__gt=0).exists()


def test_an_administrator_sees_the_attempts_in_the_admin(client, rita):
    for _ in range(2):
        sign_in(client, reverse("login"), "rita", "guess")
    admin_user = UserFactory(username="root", is_superuser=True, is_staff=True, password=PASSWORD)
    client.force_login(admin_user)
    page = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert page.status_code == 200 and "rita" in page.content.decode()
    assert client.get(reverse("admin:axes_accessfailurelog_changelist")).status_code == 200
