"""SHA-256 and size of what is stored, read in chunks: an evidence file (a disk image, a packet
capture) may be far larger than a worker's memory."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable
from typing import IO

CHUNK = 1024 * 1024
# A verified copy stays in memory up to this size, on local disk beyond it.
IN_MEMORY = 8 * CHUNK


def digest_chunks(chunks: Iterable[bytes]) -> tuple[str, int]:
    """(hex SHA-256, size in bytes) of the bytes `chunks` yields, one chunk in memory at a time."""
    sha, size = hashlib.sha256(), 0
    for chunk in chunks:
        sha.update(chunk)
        size += len(chunk)
    return sha.hexdigest(), size


def digest_and_copy(field_file) -> tuple[str, int, IO[bytes]]:
    """(hex SHA-256, size, a copy of the bytes hashed, at its start) of a stored file, read once: a
    download serves the copy, so that what leaves is exactly what was checked, even if the stored
    file changes between the check and the sending. FileNotFoundError when it is gone."""
    copy = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115 - handed to the response, which closes it
    try:
        with field_file.storage.open(field_file.name, "rb") as handle:
            def chunks():
                for chunk in iter(lambda: handle.read(CHUNK), b""):
                    copy.write(chunk)
                    yield chunk
            sha256, size = digest_chunks(chunks())
    except BaseException:
        copy.close()
        raise
    copy.seek(0)
    return sha256, size, copy


def digest_text(text: str) -> tuple[str, int]:
    data = text.encode("utf-8")
    return hashlib.sha256(data).hexdigest(), len(data)
