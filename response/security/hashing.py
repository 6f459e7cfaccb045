"""SHA-256 and size of what is stored, read in chunks: an evidence file (a disk image, a packet
capture) may be far larger than a worker's memory."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

CHUNK = 1024 * 1024


def digest_chunks(chunks: Iterable[bytes]) -> tuple[str, int]:
    """(hex SHA-256, size in bytes) of the bytes `chunks` yields, one chunk in memory at a time."""
    sha, size = hashlib.sha256(), 0
    for chunk in chunks:
        sha.update(chunk)
        size += len(chunk)
    return sha.hexdigest(), size


def digest_file(field_file) -> tuple[str, int]:
    """(hex SHA-256, size) of a stored file, re-read from storage. FileNotFoundError when it is gone."""
    with field_file.storage.open(field_file.name, "rb") as handle:
        return digest_chunks(iter(lambda: handle.read(CHUNK), b""))


def digest_text(text: str) -> tuple[str, int]:
    data = text.encode("utf-8")
    return hashlib.sha256(data).hexdigest(), len(data)
