"""Attachments in and out: the checks on an upload (a size limit and an allow-list of types, by
name and content), and `download`, the one way a stored file leaves. Files are never served from
MEDIA_URL: every download goes through a view that applies the incident's access rule first."""

from __future__ import annotations

import os
import zipfile
from xml.etree import ElementTree

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404
from django.utils.text import get_valid_filename

# Extension -> (content type, how the content is checked).
ALLOWED_TYPES: dict[str, tuple[str, str]] = {
    ".png": ("image/png", "magic"),
    ".jpg": ("image/jpeg", "magic"),
    ".jpeg": ("image/jpeg", "magic"),
    ".gif": ("image/gif", "magic"),
    ".webp": ("image/webp", "magic"),
    ".pdf": ("application/pdf", "magic"),
    ".txt": ("text/plain", "text"),
    ".log": ("text/plain", "text"),
    ".csv": ("text/csv", "text"),
    ".json": ("application/json", "text"),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "zip"),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "zip"),
}


def allowed_extensions_text() -> str:
    return ", ".join(sorted(ALLOWED_TYPES))


def validate_upload(upload: UploadedFile) -> tuple[str, str]:
    """Return (safe file name, content type) or raise ValidationError with a sentence for the user."""
    limit = settings.ITSM_MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            "“%(name)s” is %(size)s MB; attachments may be at most %(limit)s MB.",
            code="too_large",
            params={"name": upload.name, "size": round(upload.size / 1048576, 1), "limit": round(limit / 1048576, 1)},
        )
    if not upload.size:
        raise ValidationError("“%(name)s” is empty.", code="empty", params={"name": upload.name})
    name = get_valid_filename(os.path.basename(upload.name or "")) or "attachment"
    ext = os.path.splitext(name)[1].lower()
    if ext not in ALLOWED_TYPES:
        raise ValidationError(
            "Files of type “%(ext)s” are not accepted. Allowed: %(allowed)s.",
            code="type",
            params={"ext": ext or "(none)", "allowed": allowed_extensions_text()},
        )
    content_type, check = ALLOWED_TYPES[ext]
    head = upload.read(8192)
    upload.seek(0)
    if check == "magic":
        kind = filetype.guess(head)
        if kind is None or kind.mime != content_type:
            raise ValidationError(
                "“%(name)s” does not look like a %(ext)s file.", code="content", params={"name": name, "ext": ext}
            )
    elif check == "text":
        if b"\x00" in head:
            raise ValidationError("“%(name)s” is not a text file.", code="content", params={"name": name})
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the 8 KiB boundary is still text.
            if exc.start < len(head) - 4:
                raise ValidationError(
                    "“%(name)s” is not UTF-8 text.", code="content", params={"name": name}
                ) from None
    elif check == "zip":
        ok = _is_office_document(upload, ext)
        upload.seek(0)
        if not ok:
            raise ValidationError(
                "“%(name)s” does not look like a %(ext)s file.", code="content", params={"name": name, "ext": ext}
            )
    return name, content_type


# The part an Office Open XML package must have, and the content type [Content_Types].xml must give
# it. A macro-enabled document (.docm, .xlsm) declares another type, so renaming one is refused.
OOXML_MAIN_PARTS = {
    ".docx": ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    ".xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
}
OOXML_MAX_CONTENT_TYPES = 1024 * 1024


def _is_office_document(upload: UploadedFile, ext: str) -> bool:
    """Any zip passed as .docx/.xlsx before. Check the package's structure instead: its main part,
    and the content type its manifest declares for that part. (filetype's matchers look at the
    first bytes only, which depend on the order the writing program stored the parts in.)"""
    part, main_type = OOXML_MAIN_PARTS[ext]
    try:
        with zipfile.ZipFile(upload) as package:
            names = set(package.namelist())
            if part not in names or "[Content_Types].xml" not in names:
                return False
            info = package.getinfo("[Content_Types].xml")
            if info.file_size > OOXML_MAX_CONTENT_TYPES:
                return False
            manifest = ElementTree.fromstring(package.read(info))
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, ElementTree.ParseError):
        return False
    declared = {
        element.get("PartName"): element.get("ContentType")
        for element in manifest if element.tag.endswith("}Override") or element.tag == "Override"
    }
    return declared.get(f"/{part}") == main_type


def download(attachment) -> FileResponse:
    """The stored file as a download, never rendered inline: an uploaded file must not run in our
    origin. The caller has checked that the person may see it."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is no longer available.") from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
