"""What an incident on hold waits for comes from a short list the desk keeps; a reporter's reply
resumes an incident that waits for them, and its SLA clock runs again."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents import services
from incidents.models import HoldReason, Incident
from incidents.workflow import State

from .factories import make_incident

WAITING_FOR_USER = "Waiting for the user"


@pytest.fixture
def in_progress(reporter, resolver, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    return services.transition(incident=incident, user=resolver, name="claim")


def hold(incident, user, kind: str, details: str = "") -> Incident:
    return services.transition(incident=incident, user=user, name="hold",
                               hold_kind=HoldReason.objects.get(name=kind), hold_reason=details)


def test_the_list_starts_with_the_usual_three_and_only_the_user_one_waits_for_the_reporter(db):
    assert list(HoldReason.objects.values_list("name", "waits_for_reporter")) == [
        (WAITING_FOR_USER, True), ("Waiting for a vendor", False), ("Waiting for a change", False),
    ]


def test_a_reply_from_the_reporter_resumes_an_incident_waiting_for_them(in_progress, reporter, resolver):
    held = hold(in_progress, resolver, WAITING_FOR_USER, "Which laptop model do you use?")
    assert held.state == State.ON_HOLD and held.clock_paused_at is not None
    event = held.events.filter(transition="hold").get()
    assert event.message == f"{WAITING_FOR_USER}: Which laptop model do you use?" and event.public

    services.comment_add(incident=held, author=reporter, body="A ThinkPad T14.", public=True)

    resumed = Incident.objects.get(pk=held.pk)
    assert resumed.state == State.IN_PROGRESS
    assert resumed.clock_paused_at is None and resumed.hold_kind is None and resumed.hold_reason == ""
    assert resumed.events.filter(transition="resume").get().message == "The reporter replied."


def test_a_reply_does_not_resume_an_incident_waiting_for_a_vendor(in_progress, reporter, resolver):
    held = hold(in_progress, resolver, "Waiting for a vendor")
    services.comment_add(incident=held, author=reporter, body="Any news?", public=True)
    assert Incident.objects.get(pk=held.pk).state == State.ON_HOLD


def test_a_desk_reply_does_not_resume_it(in_progress, resolver, agent):
    held = hold(in_progress, resolver, WAITING_FOR_USER)
    services.comment_add(incident=held, author=agent, body="Reminder: please answer.", public=True)
    assert Incident.objects.get(pk=held.pk).state == State.ON_HOLD


def test_the_hold_form_offers_the_list_and_the_details(client, in_progress, resolver):
    client.force_login(resolver)
    response = client.get(reverse("admin:incidents_incident_transition", args=[in_progress.pk, "hold"]))
    form = response.context["form"]
    assert list(form.fields)[:2] == ["hold_kind", "hold_reason"]
    assert WAITING_FOR_USER in response.content.decode()
    response = client.post(reverse("admin:incidents_incident_transition", args=[in_progress.pk, "hold"]), {
        "hold_kind": HoldReason.objects.get(name="Waiting for a change").pk, "hold_reason": "", "reason": "",
    })
    assert response.status_code == 302
    assert Incident.objects.get(pk=in_progress.pk).hold_kind.name == "Waiting for a change"


def test_a_reporters_portal_reply_resumes_it(client, in_progress, reporter, resolver):
    held = hold(in_progress, resolver, WAITING_FOR_USER, "Can you send a screenshot?")
    client.force_login(reporter)
    response = client.post(reverse("portal:incident_comment", args=[held.reference]),
                           {"body": "Here it is, the error says 809."})
    assert response.status_code == 302
    assert Incident.objects.get(pk=held.pk).state == State.IN_PROGRESS


# --- a reply on a resolved incident -----------------------------------------------------------------
@pytest.fixture
def resolved(in_progress, resolver):
    return services.transition(incident=in_progress, user=resolver, name="resolve", resolution_code="fixed",
                               resolution_notes="Renewed your VPN profile.")


def test_a_reply_instead_of_a_confirmation_stops_the_auto_close_and_the_portal_offers_the_reopen(
    client, resolved, reporter
):
    assert resolved.auto_close_at is not None
    client.force_login(reporter)
    response = client.post(reverse("portal:incident_comment", args=[resolved.reference]),
                           {"body": "It dropped again this morning."}, follow=True)
    incident = Incident.objects.get(pk=resolved.pk)
    assert incident.state == State.RESOLVED and incident.auto_close_at is None
    assert "will not close by itself" in response.content.decode() and "No, still broken" in response.content.decode()
    assert incident.events.filter(kind="auto_close", message__startswith="Auto-close stopped").exists()


def test_with_the_setting_a_reply_on_a_resolved_incident_reopens_it(settings, resolved, reporter):
    settings.ITSM_REPORTER_REPLY_REOPENS = True
    services.comment_add(incident=resolved, author=reporter, body="Still broken, same error.", public=True)
    incident = Incident.objects.get(pk=resolved.pk)
    assert incident.state == State.IN_PROGRESS
    assert incident.events.filter(transition="reopen").get().message == "Still broken, same error."
