"""Attachments leave only through views that apply the incident's access rule, in every
configuration: no URL serves MEDIA_URL (under `make run` a Security engineer's work-note file on a
confidential incident was readable at /media/... without a login)."""

from __future__ import annotations

import importlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import clear_url_caches, reverse

from incidents import services
from incidents.models import Attachment

from .factories import UserFactory, make_incident

pytestmark = pytest.mark.django_db
NOTE = b"2026-11-30 03:12 FS01 encrypted; ransom note in \\\\finance\\share\n"


@pytest.fixture
def secret_note(reporter, security_category, security_team):
    """A work note with a file, on a confidential Security incident, by the Security engineer."""
    from incidents import roles

    incident = make_incident(reporter=reporter, category=security_category, summary="Ransomware note on FS01")
    sam = UserFactory(username="sam", role=roles.RESOLVER, team=security_team)
    services.comment_add(incident=incident, author=sam, body="Forensics notes attached", public=False,
                         files=[SimpleUploadedFile("forensics.txt", NOTE)])
    return Attachment.objects.get(incident=incident)


def admin_url(attachment: Attachment) -> str:
    return reverse("admin:incidents_incident_attachment", args=[attachment.incident_id, attachment.pk])


def test_the_media_url_is_served_by_nothing_even_in_debug(client, settings, secret_note):
    import itsm.urls

    settings.DEBUG = True
    try:
        importlib.reload(itsm.urls)
        clear_url_caches()
        assert client.get(f"/{settings.MEDIA_URL.strip('/')}/{secret_note.file.name}").status_code == 404
    finally:
        settings.DEBUG = False
        importlib.reload(itsm.urls)
        clear_url_caches()


def test_the_security_team_downloads_the_file_from_the_admin(client, secret_note):
    client.force_login(UserFactory._meta.model.objects.get(username="sam"))
    response = client.get(admin_url(secret_note))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="forensics.txt"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == NOTE


def test_staff_outside_the_team_and_people_signed_out_get_nothing(client, secret_note, resolver, reporter):
    url = admin_url(secret_note)
    assert client.get(url).status_code == 302  # to the admin's login
    client.force_login(resolver)  # Network: the confidential incident does not exist for them
    assert client.get(url).status_code in (302, 404)
    assert b"ransom" not in client.get(url, follow=True).content
    client.force_login(reporter)  # not staff: the admin is not theirs, and a work note's file never
    assert client.get(url).status_code == 302


def test_a_file_of_another_incident_is_not_found_through_this_one(client, secret_note, agent, reporter,
                                                                   network_category):
    other = make_incident(reporter=reporter, category=network_category)
    client.force_login(agent)
    url = reverse("admin:incidents_incident_attachment", args=[other.pk, secret_note.pk])
    assert client.get(url).status_code == 404


def test_the_change_page_links_each_file_to_the_download(client, secret_note):
    client.force_login(UserFactory._meta.model.objects.get(username="sam"))
    page = client.get(reverse("admin:incidents_incident_change", args=[secret_note.incident_id])).content.decode()
    assert admin_url(secret_note) in page and "forensics.txt" in page
