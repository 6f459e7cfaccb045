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


def office_file(ext: str, *, main: str | None = None, content_type: str | None = None) -> bytes:
    """A minimal Office Open XML package, as Word or Excel write one (or a forgery of it)."""
    import io
    import zipfile

    from incidents.uploads import OOXML_MAIN_PARTS

    part, main_type = OOXML_MAIN_PARTS[ext]
    part = main or part
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{content_type or main_type}"/></Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", manifest)
        package.writestr(part, "<document/>")
    return buffer.getvalue()


@pytest.mark.parametrize("ext", [".docx", ".xlsx"])
def test_a_real_office_document_is_accepted(ext):
    assert validate_upload(SimpleUploadedFile(f"report{ext}", office_file(ext)))[0] == f"report{ext}"


@pytest.mark.parametrize(("name", "content"), [
    ("invoice.docx", None),  # any zip: a program and a script inside, no document
    ("budget.xlsx", "word"),  # a Word document named as a spreadsheet
    ("macro.docx", "macro"),  # a macro-enabled document renamed .docx
])
def test_a_zip_that_is_not_that_office_document_is_refused(name, content):
    import io
    import zipfile

    if content is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("run.exe", b"MZ\x90\x00")
            archive.writestr("readme.txt", "open run.exe")
        data = buffer.getvalue()
    elif content == "word":
        data = office_file(".docx")
    else:
        data = office_file(".docx", content_type="application/vnd.ms-word.document.macroEnabled.main+xml")
    with pytest.raises(ValidationError, match="does not look like a"):
        validate_upload(SimpleUploadedFile(name, data))
