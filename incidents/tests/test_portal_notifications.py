"""The reporter hears about their incident by e-mail: when it is opened, answered and resolved."""

from __future__ import annotations

from django.urls import reverse

from incidents import services
from incidents.models import Notification

from .factories import make_incident


def report_data() -> dict:
    return {
        "summary": "Cannot open the payroll app",
        "description": "It shows a blank page after sign-in.",
        "category": "",
        "service": "",
        "people_affected": "me",
        "can_keep_working": "blocked",
    }


def test_reporter_is_emailed_when_their_portal_report_is_recorded(
    client, reporter, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(reporter)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:report"), report_data())

    incident = reporter.reported_incidents.get()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [reporter.email]
    assert incident.reference in mailoutbox[0].subject
    assert "We have received your incident" in mailoutbox[0].subject
    assert incident.get_absolute_url() in mailoutbox[0].body


def test_nothing_is_emailed_for_a_report_that_was_refused(
    client, reporter, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(reporter)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("portal:report"), {**report_data(), "summary": ""})

    assert response.status_code == 400 and not reporter.reported_incidents.exists()
    # Nothing is owed to anyone. (The page's status banner may queue the status snapshot's
    # refresh, when no earlier page of this process built it: that is no message.)
    assert [c for c in callbacks if "refresh_status_page" not in repr(c)] == []
    assert not Notification.objects.exists()
    assert mailoutbox == []


def test_reporter_is_emailed_when_an_agent_replies_publicly(
    reporter, agent, mailoutbox, django_capture_on_commit_callbacks
):
    incident = make_incident(reporter=reporter)

    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(incident=incident, author=agent, body="Please try the web version meanwhile.", public=True)

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [reporter.email]
    assert "New reply" in mailoutbox[0].subject
    assert "Please try the web version meanwhile." in mailoutbox[0].body


def test_reporter_is_not_emailed_about_an_internal_work_note(
    reporter, agent, mailoutbox, django_capture_on_commit_callbacks
):
    incident = make_incident(reporter=reporter)

    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(incident=incident, author=agent, body="Payroll vendor ticket #4411", public=False)

    assert mailoutbox == []


def test_reporter_is_emailed_when_the_incident_is_resolved(
    reporter, agent, resolver, network_category, mailoutbox, django_capture_on_commit_callbacks
):
    incident = make_incident(reporter=reporter, category=network_category)
    incident = services.transition(incident=incident, user=agent, name="triage")
    incident = services.transition(incident=incident, user=resolver, name="claim")

    with django_capture_on_commit_callbacks(execute=True):
        services.transition(incident=incident, user=resolver, name="resolve",
                            resolution_code="fixed", resolution_notes="Cleared the app's session cache.")

    assert [m.to for m in mailoutbox] == [[reporter.email]]
    assert "Resolved – please confirm" in mailoutbox[0].subject
    assert "Cleared the app's session cache." in mailoutbox[0].body


def test_reporters_own_portal_reply_does_not_email_the_reporter(
    client, reporter, mailoutbox, django_capture_on_commit_callbacks
):
    incident = make_incident(reporter=reporter)
    client.force_login(reporter)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:incident_comment", args=[incident.reference]), {"body": "Any news?"})

    assert reporter.email not in [address for message in mailoutbox for address in message.to]
