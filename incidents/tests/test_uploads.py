"""Attachments: a size limit and a type allow-list, checked by name and by content."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.models import Attachment, Incident
from incidents.uploads import validate_upload

from .factories import make_incident

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_real_png_is_accepted():
    name, content_type = validate_upload(SimpleUploadedFile("screen shot.png", PNG))
    assert (name, content_type) == ("screen_shot.png", "image/png")


def test_a_text_log_is_accepted():
    assert validate_upload(SimpleUploadedFile("vpn.log", b"2026-11-22 error 809\n"))[1] == "text/plain"


@pytest.mark.parametrize(("name", "content", "code"), [
    ("payload.exe", b"MZ\x90\x00", "type"),
    ("invoice.pdf.html", b"<script>alert(1)</script>", "type"),
    ("fake.png", b"<?php echo 'hi'; ?>", "content"),
    ("binary.txt", b"\x00\x01\x02", "content"),
    ("empty.txt", b"", "empty"),
    ("noext", b"hello", "type"),
])
def test_disallowed_or_disguised_files_are_refused(name, content, code):
    with pytest.raises(ValidationError) as refused:
        validate_upload(SimpleUploadedFile(name, content))
    assert refused.value.code == code


def test_a_file_over_the_limit_is_refused_with_the_limit_in_the_message(settings):
    settings.ITSM_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(ValidationError) as refused:
        validate_upload(SimpleUploadedFile("big.log", b"x" * 2048))
    assert "at most" in refused.value.messages[0]


def test_a_bad_attachment_saves_nothing(db):
    with pytest.raises(ValidationError):
        make_incident(files=[SimpleUploadedFile("good.png", PNG), SimpleUploadedFile("bad.exe", b"MZ")])
    assert Incident.objects.count() == 0 and Attachment.objects.count() == 0


def test_attachments_are_stored_with_the_incident(db):
    incident = make_incident(files=[SimpleUploadedFile("error.png", PNG)])
    attachment = incident.attachments.get()
    assert attachment.original_name == "error.png" and attachment.size == len(PNG)
    assert attachment.file.name.startswith(f"attachments/{incident.reference}/")
