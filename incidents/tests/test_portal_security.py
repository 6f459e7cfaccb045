"""Portal safeguards: CSRF protection, sign-in, and error pages that do not leak or break."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from incidents.models import Comment, Incident
from incidents.workflow import State

from .factories import make_incident


@pytest.fixture
def csrf_client(reporter):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reporter)
    return client


def test_report_without_a_csrf_token_is_rejected(csrf_client):
    response = csrf_client.post(reverse("portal:report"), {
        "summary": "Forged", "description": "x", "people_affected": "me", "can_keep_working": "yes",
    })

    assert response.status_code == 403
    assert Incident.objects.count() == 0
    assert "Please try again" in response.content.decode()


def test_reply_and_action_without_a_csrf_token_are_rejected(csrf_client, reporter):
    incident = make_incident(reporter=reporter)

    comment = csrf_client.post(reverse("portal:incident_comment", args=[incident.reference]), {"body": "Forged"})
    cancel = csrf_client.post(reverse("portal:incident_action", args=[incident.reference, "cancel"]))

    incident.refresh_from_db()
    assert (comment.status_code, cancel.status_code) == (403, 403)
    assert not Comment.objects.exists()
    assert incident.state == State.NEW


def test_report_with_the_pages_csrf_token_is_accepted(csrf_client, reporter):
    csrf_client.get(reverse("portal:report"))
    token = csrf_client.cookies["csrftoken"].value

    response = csrf_client.post(reverse("portal:report"), {
        "csrfmiddlewaretoken": token, "summary": "Real report", "description": "x",
        "people_affected": "me", "can_keep_working": "yes",
    })

    assert response.status_code == 302
    assert Incident.objects.filter(reporter=reporter, summary="Real report").exists()


def test_login_page_renders_and_signs_in(client, reporter):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert '<label class="label" for="id_username">' in page.content.decode()

    response = client.post(reverse("login"), {"username": reporter.username, "password": "correct-horse-battery"})

    assert response.status_code == 302
    assert response.url == reverse("portal:home")


def test_wrong_password_shows_an_error_summary(client, reporter):
    response = client.post(reverse("login"), {"username": reporter.username, "password": "wrong"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and 'role="alert"' in page


def test_sign_out_is_a_post_form_in_the_layout(client, reporter):
    client.force_login(reporter)

    page = client.get(reverse("portal:home")).content.decode()

    assert f'<form method="post" action="{reverse("logout")}">' in page


def test_not_found_page_uses_the_portal_layout(client, reporter, settings):
    settings.DEBUG = False
    client.force_login(reporter)

    response = client.get("/portal/incidents/INC-999999/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "Skip to main content" in response.content.decode()


def test_server_error_page_renders_without_a_request_context():
    from django.template.loader import get_template

    html = get_template("500.html").render({})

    assert "Something went wrong" in html
