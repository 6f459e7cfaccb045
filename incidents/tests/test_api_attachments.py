"""Files through the API: uploaded with the checks every upload passes (size, allowed types,
content), listed and downloaded under the rule of the portal's and the admin's download views: the
reporter gets the public files, staff who see the incident every file, anyone else 404."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.tests.api_support import EVERYONE, STAFF, EndpointContract, assert_error
from incidents import services
from incidents.models import Attachment, Incident

from .factories import CategoryFactory, make_incident

URL = "/api/v1/incidents/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LOG = b"2026-11-30 03:12 VPN error 809\n"


def files_url(incident: Incident) -> str:
    return f"{URL}{incident.reference}/attachments/"


def download_url(attachment: Attachment) -> str:
    return f"{files_url(attachment.incident)}{attachment.pk}/download/"


class AttachmentContract(EndpointContract):
    public = True
    create_format = "multipart"

    def incident(self, actors) -> Incident:
        if not hasattr(self, "_incident"):
            self._incident = make_incident(reporter=actors["reporter"],
                                           category=CategoryFactory(name="Network", default_team=actors.team))
        return self._incident

    @property
    def list_url(self) -> str:
        return files_url(self._incident)

    def make(self, actors):
        author = actors["reporter"] if self.public else actors["team_resolver"]
        return services.attachment_add(incident=self.incident(actors), user=author, public=self.public,
                                       upload=SimpleUploadedFile("vpn.log", LOG))

    def create_data(self, actors) -> dict:
        self.incident(actors)
        return {"file": SimpleUploadedFile("screen.png", PNG)}


class TestPublicAttachmentContract(AttachmentContract):
    readers = EVERYONE - {"other_reporter"}
    creators = frozenset({"reporter", "desk_agent", "team_resolver", "incident_manager"})
    list_not_found = frozenset({"other_reporter"})


class TestInternalAttachmentContract(AttachmentContract):
    public = False
    readers = STAFF
    creators = TestPublicAttachmentContract.creators
    list_not_found = frozenset({"other_reporter"})


# --- behaviour -------------------------------------------------------------------------------------
@pytest.fixture
def incident(actors):
    return make_incident(reporter=actors["reporter"], category=CategoryFactory(name="Network",
                                                                                default_team=actors.team))


def upload(client, incident, name: str, content: bytes, **data):
    return client.post(files_url(incident), {"file": SimpleUploadedFile(name, content), **data}, format="multipart")


def test_upload_of_an_executable_is_400(actors, incident):
    response = upload(actors.client("reporter"), incident, "fix.exe", b"MZ\x90\x00")
    assert "Files of type “.exe” are not accepted" in assert_error(response, 400, "invalid")["detail"]
    assert not Attachment.objects.exists()


def test_upload_of_a_file_that_is_not_what_its_name_says_is_400(actors, incident):
    response = upload(actors.client("team_resolver"), incident, "screen.png", b"<?php echo 'hi'; ?>")
    assert "does not look like a .png file" in assert_error(response, 400, "invalid")["detail"]


def test_upload_over_the_attachment_limit_is_400_with_the_limit(actors, incident, settings):
    settings.ITSM_MAX_UPLOAD_BYTES = 1024
    response = upload(actors.client("reporter"), incident, "big.log", b"x" * 2048)
    assert "at most" in assert_error(response, 400, "invalid")["detail"]


def test_oversize_upload_body_is_413(actors, incident, settings):
    settings.ITSM_API_MAX_BODY_BYTES = 4096
    assert_error(upload(actors.client("reporter"), incident, "big.log", b"x" * 8192), 413, "payload_too_large")
    assert not Attachment.objects.exists()


def test_a_file_is_uploaded_as_multipart_not_json(actors, incident):
    assert_error(actors.client("reporter").post(files_url(incident), {"file": "aGVsbG8="}, format="json"), 415)


def test_a_reporters_file_is_public_and_on_the_timeline(actors, incident):
    response = upload(actors.client("reporter"), incident, "vpn.log", LOG)
    assert response.status_code == 201, response.content
    assert response.json()["public"] is True and response.json()["comment"] is None
    assert incident.events.get(kind="attachment").message == "Attached vpn.log"


def test_a_reporter_asking_for_an_internal_file_is_403(actors, incident):
    assert_error(upload(actors.client("reporter"), incident, "vpn.log", LOG, public="false"), 403)


def test_staff_files_are_internal_unless_they_say_public(actors, incident):
    client = actors.client("team_resolver")
    assert upload(client, incident, "trace.log", LOG).json()["public"] is False
    assert upload(client, incident, "howto.log", LOG, public="true").json()["public"] is True


def test_download_is_the_file_as_an_attachment_never_inline(actors, incident):
    attachment = services.attachment_add(incident=incident, user=actors["reporter"], public=True,
                                         upload=SimpleUploadedFile("vpn.log", LOG))
    response = actors.client("reporter").get(download_url(attachment))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="vpn.log"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == LOG


def test_download_answers_a_client_that_asks_for_bytes(actors, incident):
    attachment = services.attachment_add(incident=incident, user=actors["reporter"], public=True,
                                         upload=SimpleUploadedFile("vpn.log", LOG))
    response = actors.client("reporter").get(download_url(attachment), HTTP_ACCEPT="application/octet-stream")
    assert response.status_code == 200 and b"".join(response.streaming_content) == LOG


def test_the_reporter_cannot_download_a_work_notes_file(actors, incident):
    services.comment_add(incident=incident, author=actors["team_resolver"], body="Forensics", public=False,
                         files=[SimpleUploadedFile("forensics.txt", LOG)])
    attachment = Attachment.objects.get()
    assert_error(actors.client("reporter").get(download_url(attachment)), 404, "not_found")
    assert actors.client("other_resolver").get(download_url(attachment)).status_code == 200


def test_a_confidential_incidents_file_is_404_to_an_outsider(actors):
    security = CategoryFactory(name="Security", default_team=actors.team, confidential=True)
    secret = make_incident(reporter=actors["reporter"], category=security)
    attachment = services.attachment_add(incident=secret, user=actors["team_resolver"], public=False,
                                         upload=SimpleUploadedFile("ransom.txt", LOG))
    for role in ("other_resolver", "desk_agent", "other_reporter"):
        assert_error(actors.client(role).get(download_url(attachment)), 404, "not_found")
    assert actors.client("incident_manager").get(download_url(attachment)).status_code == 200


def test_a_file_is_reached_under_its_own_incident_only(actors, incident):
    other = make_incident(reporter=actors["reporter"])
    attachment = services.attachment_add(incident=other, user=actors["reporter"], public=True,
                                         upload=SimpleUploadedFile("vpn.log", LOG))
    response = actors.client("desk_agent").get(f"{files_url(incident)}{attachment.pk}/download/")
    assert_error(response, 404)
