"""Reporting an incident from the portal: the form, the priority it gets, and its attachment."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents.models import Attachment, Channel, Incident
from incidents.portal.forms import CAN_KEEP_WORKING, PEOPLE_AFFECTED, impact_and_urgency
from incidents.workflow import State

from .factories import ServiceFactory

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def report_data(**overrides) -> dict:
    data = {
        "summary": "Printer on the 3rd floor jams",
        "description": "Every job since 9:00 stops with 'paper jam' although the tray is empty.",
        "category": "",
        "service": "",
        "people_affected": "team",
        "can_keep_working": "slowly",
    }
    data.update(overrides)
    return data


@pytest.fixture
def signed_in(client, reporter):
    client.force_login(reporter)
    return client


# The SOP's matrix, spelled out: (how many people, can you keep working) -> priority.
PRIORITY_FOR_ANSWERS = {
    ("me", "yes"): 4,
    ("me", "slowly"): 4,
    ("me", "blocked"): 3,
    ("team", "yes"): 4,
    ("team", "slowly"): 3,
    ("team", "blocked"): 2,
    ("many", "yes"): 3,
    ("many", "slowly"): 2,
    ("many", "blocked"): 1,
}


def test_every_combination_of_answers_is_covered():
    assert set(PRIORITY_FOR_ANSWERS) == {(p, w) for p in PEOPLE_AFFECTED for w in CAN_KEEP_WORKING}


@pytest.mark.parametrize(("people", "working"), sorted(PRIORITY_FOR_ANSWERS))
def test_answers_to_the_two_questions_set_the_incident_priority(signed_in, reporter, people, working):
    response = signed_in.post(reverse("portal:report"), report_data(people_affected=people, can_keep_working=working))

    incident = Incident.objects.get(reporter=reporter)
    assert response.status_code == 302
    assert incident.priority == PRIORITY_FOR_ANSWERS[(people, working)]


def test_people_affected_sets_impact_and_being_blocked_sets_urgency():
    assert impact_and_urgency("me", "blocked") == ("low", "high")
    assert impact_and_urgency("many", "yes") == ("high", "low")
    assert impact_and_urgency("team", "slowly") == ("medium", "medium")


def test_report_form_asks_the_questions_in_plain_language(signed_in):
    page = signed_in.get(reverse("portal:report")).content.decode()

    for text in ("How many people are affected?", "Just me", "My team or department",
                 "The whole organisation / many customers", "Can you keep working?",
                 "Yes, it’s an inconvenience", "Only slowly / with a workaround", "No, I’m blocked"):
        assert text in page
    assert "<legend" in page and 'enctype="multipart/form-data"' in page


def test_submitted_report_opens_a_portal_incident_and_shows_its_reference(signed_in, reporter, network_category):
    service = ServiceFactory(name="Printing")

    response = signed_in.post(
        reverse("portal:report"),
        report_data(category=network_category.pk, service=service.pk),
        follow=True,
    )

    incident = Incident.objects.get(reporter=reporter)
    assert response.redirect_chain == [(reverse("portal:incident_detail", args=[incident.reference]), 302)]
    assert incident.channel == Channel.PORTAL
    assert incident.state == State.NEW
    assert incident.category == network_category
    assert incident.team == network_category.default_team
    assert incident.service == service
    assert (incident.impact, incident.urgency) == ("medium", "medium")
    assert f"recorded as {incident.reference}" in response.content.decode()


def test_invalid_report_is_shown_again_with_everything_the_user_typed(signed_in, network_category):
    data = report_data(summary="", category=network_category.pk, people_affected="many", can_keep_working="blocked")

    response = signed_in.post(reverse("portal:report"), data)

    page = response.content.decode()
    assert response.status_code == 400
    assert Incident.objects.count() == 0
    assert "There is a problem" in page
    assert 'href="#id_summary">Describe the problem in a few words.' in page
    assert "paper jam" in page  # the description is kept
    assert f'<option value="{network_category.pk}" selected>' in page
    assert re.search(r'value="many"[^>]*checked', page)
    assert re.search(r'value="blocked"[^>]*checked', page)


def test_report_with_an_attachment_stores_it_on_the_incident(signed_in, reporter):
    upload = SimpleUploadedFile("screen.png", PNG, content_type="image/png")

    signed_in.post(reverse("portal:report"), {**report_data(), "attachment": upload})

    incident = Incident.objects.get(reporter=reporter)
    attachment = incident.attachments.get()
    assert attachment.original_name == "screen.png"
    assert attachment.content_type == "image/png"
    assert attachment.public


def test_attachment_of_a_refused_type_creates_no_incident_and_says_to_choose_again(signed_in):
    upload = SimpleUploadedFile("setup.exe", b"MZ\x90\x00binary", content_type="application/octet-stream")

    response = signed_in.post(reverse("portal:report"), {**report_data(), "attachment": upload})

    page = response.content.decode()
    assert response.status_code == 400
    assert Incident.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert "Files of type “.exe” are not accepted" in page
    assert "Choose another file, or send the form without one." in page
    assert "Printer on the 3rd floor jams" in page  # what was typed is still there


def test_attachment_whose_content_does_not_match_its_name_is_refused(signed_in):
    upload = SimpleUploadedFile("screen.png", b"this is not an image", content_type="image/png")

    response = signed_in.post(reverse("portal:report"), {**report_data(), "attachment": upload})

    assert response.status_code == 400
    assert Incident.objects.count() == 0
    assert "does not look like a .png file" in response.content.decode()


def test_attachment_over_the_size_limit_creates_no_incident(signed_in, settings):
    settings.ITSM_MAX_UPLOAD_BYTES = 1024
    upload = SimpleUploadedFile("big.log", b"x" * 2048, content_type="text/plain")

    response = signed_in.post(reverse("portal:report"), {**report_data(), "attachment": upload})

    assert response.status_code == 400
    assert Incident.objects.count() == 0
    assert "attachments may be at most" in response.content.decode()


def test_a_good_file_must_be_chosen_again_when_another_field_is_wrong(signed_in):
    upload = SimpleUploadedFile("error.log", b"Traceback: boom", content_type="text/plain")

    response = signed_in.post(reverse("portal:report"), {**report_data(description=""), "attachment": upload})

    page = response.content.decode()
    assert response.status_code == 400
    assert Incident.objects.count() == 0
    assert "You chose “error.log”. Please choose the file again" in page


def test_report_page_needs_a_signed_in_user(client):
    response = client.get(reverse("portal:report"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=/portal/report/")


# --- the form's GET renders its fields once per set of choices -----------------------------------
def test_a_new_category_or_service_shows_on_the_report_form_at_once(signed_in, network_category):
    first = signed_in.get(reverse("portal:report")).content.decode()
    assert "Network" in first and "Payroll" not in first
    ServiceFactory(name="Payroll")
    network_category.name = "Network and Wi-Fi"
    network_category.save()
    again = signed_in.get(reverse("portal:report")).content.decode()
    assert "Payroll" in again and "Network and Wi-Fi" in again


def test_the_kept_fields_are_the_fields_a_fresh_render_gives(signed_in, network_category):
    from django.template.loader import render_to_string

    from incidents.portal import views
    from incidents.portal.forms import ReportForm

    signed_in.get(reverse("portal:report"))
    kept = views._pristine.entry[1]
    assert kept == render_to_string("portal/includes/report_fields.html", {"form": ReportForm()})
    page = signed_in.get(reverse("portal:report")).content.decode()
    assert kept in page
    # Each GET still has its own one-time submission key, outside the kept HTML.
    keys = {re.search(r'name="submission" value="([^"]+)"', signed_in.get(reverse("portal:report")).content.decode())
            .group(1) for _ in range(2)}
    assert len(keys) == 2


def test_a_form_sent_back_with_errors_keeps_what_was_typed(signed_in):
    signed_in.get(reverse("portal:report"))  # the pristine fields are kept for the process
    response = signed_in.post(reverse("portal:report"), report_data(summary="", description="Typed with care"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Typed with care" in page and "Describe the problem in a few words." in page
