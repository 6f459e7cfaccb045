"""What an audit entry hashes: a row's canonical content, and the two chain links.

The content of a row is canonical JSON (sorted keys, no spaces, UTF-8) of its table, primary key
and every concrete column by attname, with values written one way whatever the database returned
(aware datetimes in UTC ISO 8601, decimals and UUIDs as text, bytes as hex). The same function
runs when the entry is written and when `verify` recomputes it from the row as it is now.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import uuid
from typing import Any

GENESIS = "0" * 64  # the previous hash of the first entry of every chain


def plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC)
        return value.isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    return value


def canonical(document: dict[str, Any]) -> str:
    """The one JSON text of a document: what is hashed, and what a bundle shows beside the hash."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=plain)


def row_content(table: str, pk: int | None, fields: dict[str, Any]) -> str:
    return canonical({"table": table, "pk": pk, "fields": {name: plain(v) for name, v in fields.items()}})


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_hash(position: int, recorded_at: datetime.datetime, prev_hash: str, content_hash: str,
               incident_link: str = "") -> str:
    """The global link: the entry's place and time, the link before it, what it records, and its
    incident link (so that an entry cannot be taken out of its incident's chain unseen)."""
    return sha256(f"{position}|{plain(recorded_at)}|{prev_hash}|{content_hash}|{incident_link}")


def incident_hash(incident_id: int, position: int, prev_hash: str, content_hash: str) -> str:
    """The incident's link: which incident, the place in its chain, the link before, the content."""
    return sha256(f"{incident_id}|{position}|{prev_hash}|{content_hash}")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
