"""Bundles for auditors: one incident's record, or everything recorded in a period, as a zip.

The zip holds, for what the exporter may see (`Incident.objects.visible_to`):
- `incidents.json`: the incidents, every column;
- `events.json`, `history.json`: each event and history row as the audit chain hashed it (table,
  pk, fields: the canonical content of `compliance.audit.content`), with its entry's position;
- `audit.json`: the audit entries themselves, with both links and whether the row still matches;
- `events.csv`, `history.csv`: the same rows flattened for a spreadsheet;
- `manifest.json`: the SHA-256 of every other file, the chain heads at export time (global and of
  each incident in the bundle), who exported what and when.
Exporting is itself recorded in the chain (`record_access`), in the same transaction as the read:
no bundle leaves unrecorded.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incidents.models import Incident, IncidentEvent

from . import content as c
from .chain import heads
from .sources import record_access
from .verify import current_contents, entry_batches, source_tables

PERMISSION = "compliance.export_audit"
MAX_SPAN = timedelta(days=366)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportRefused(Exception):
    """Why this export cannot be made, in a sentence for the person asking."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Bundle:
    filename: str
    data: bytes
    entries: int
    incidents: int
    manifest: dict


def may_export(user) -> bool:
    return bool(user and user.is_active and user.has_perm(PERMISSION))


def _check(user) -> None:
    if not may_export(user):
        raise ExportRefused("You may not export the audit trail: incident managers and auditors may.")


def incident_bundle(*, user, reference: str) -> Bundle:
    """One incident's whole chain with its rows, recorded as exported by `user`."""
    _check(user)
    reference = (reference or "").strip().upper()
    if not reference:
        raise ExportRefused("Give the incident's reference, e.g. INC-000123.")
    incident = Incident.objects.visible_to(user).filter(reference=reference).first()
    if incident is None:
        raise ExportRefused(f"No incident {reference} that you may see.")
    from ..models import AuditEntry

    with transaction.atomic():
        bundle = _build(user, {"incident": reference},
                        AuditEntry.objects.filter(incident_id=incident.pk).order_by("position"),
                        f"audit-{reference}")
        record_access(actor=user, action="export", what=f"audit bundle of {reference}", incident=incident,
                      detail=f"manifest sha256 {bundle.manifest['sha256']}")
    return bundle


def range_bundle(*, user, since: datetime, until: datetime) -> Bundle:
    """Every entry recorded from `since` to before `until` that `user` may see, with its rows."""
    _check(user)
    if since is None or until is None:
        raise ExportRefused("Give both the start and the end of the period.")
    if since >= until:
        raise ExportRefused("The period must end after it starts.")
    if until - since > MAX_SPAN:
        raise ExportRefused("Export at most a year at a time.")
    from ..models import AuditEntry

    visible = Incident.objects.visible_to(user).values("pk")
    entries = (AuditEntry.objects.filter(recorded_at__gte=since, recorded_at__lt=until)
               .filter(Q(incident_id__isnull=True) | Q(incident_id__in=visible)).order_by("position"))
    scope = {"from": since.isoformat(), "until": until.isoformat()}
    with transaction.atomic():
        bundle = _build(user, scope, entries, f"audit-{since:%Y%m%d}-{until:%Y%m%d}")
        record_access(actor=user, action="export", what=f"audit bundle {since:%Y-%m-%d} to {until:%Y-%m-%d}",
                      detail=f"manifest sha256 {bundle.manifest['sha256']}")
    return bundle


def _cell(value) -> str:
    text = "" if value is None else str(c.plain(value))
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _build(user, scope: dict, entries, name: str) -> Bundle:
    tables = source_tables()
    event_table = IncidentEvent._meta.db_table
    audit, events, history = [], [], []
    incident_ids: set[int] = set()
    for batch in entry_batches(entries, 2000):
        now = current_contents(batch, tables, "default")
        for entry in batch:
            if entry.incident_id is not None:
                incident_ids.add(entry.incident_id)
            text = entry.content if entry.row_pk is None else now.get((entry.table, entry.row_pk))
            audit.append({
                "position": entry.position, "recorded_at": c.plain(entry.recorded_at), "table": entry.table,
                "pk": entry.row_pk, "incident_id": entry.incident_id, "incident_position": entry.incident_position,
                "content_hash": entry.content_hash, "prev_hash": entry.prev_hash, "hash": entry.hash,
                "incident_prev_hash": entry.incident_prev_hash, "incident_hash": entry.incident_hash,
                "source": "kept in the entry" if entry.row_pk is None else ("missing" if text is None else "present"),
                "source_matches": text is not None and c.sha256(text) == entry.content_hash,
                **({"content": json.loads(entry.content)} if entry.row_pk is None else {}),
            })
            if entry.row_pk is not None and text is not None:
                row = {"position": entry.position, **json.loads(text)}
                (events if entry.table == event_table else history).append(row)
    incidents = [
        {"table": Incident._meta.db_table, "pk": fields["id"], "fields": json.loads(c.canonical(fields))}
        for fields in Incident.objects.filter(pk__in=incident_ids).order_by("pk").values()
    ]
    references = dict(Incident.objects.filter(pk__in=incident_ids).values_list("pk", "reference"))
    (global_at, global_hash), incident_heads = heads(incident_ids)
    files = {
        "incidents.json": _json(incidents),
        "events.json": _json(events),
        "history.json": _json(history),
        "audit.json": _json(audit),
        "events.csv": _events_csv(events, references),
        "history.csv": _history_csv(history, references),
    }
    manifest = {
        "scope": scope,
        "exported_by": getattr(user, "username", ""),
        "exported_at": timezone.now().isoformat(),
        "files": {file: c.sha256_bytes(data) for file, data in files.items()},
        "chain_head": {"position": global_at, "hash": global_hash},
        "incident_heads": {references.get(pk, str(pk)): {"position": at, "hash": h}
                           for pk, (at, h) in sorted(incident_heads.items())},
        "hashing": "content_hash = sha256(canonical JSON of table, pk, fields); see docs/audit.md",
    }
    manifest_bytes = _json(manifest)
    manifest = {**manifest, "sha256": c.sha256_bytes(manifest_bytes)}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for file, data in files.items():
            archive.writestr(f"{name}/{file}", data)
        archive.writestr(f"{name}/manifest.json", manifest_bytes)
    return Bundle(f"{name}.zip", out.getvalue(), len(audit), len(incidents), manifest)


def _json(document) -> bytes:
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8")


def _events_csv(events: list[dict], references: dict[int, str]) -> bytes:
    names = sorted({name for row in events for name in row["fields"]})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["position", "incident", "id", *names])
    for row in events:
        fields = row["fields"]
        writer.writerow([row["position"], references.get(fields.get("incident_id"), ""), row["pk"],
                         *(_cell(fields.get(name)) for name in names)])
    return out.getvalue().encode("utf-8")


HISTORY_COLUMNS = ["history_id", "history_date", "history_type", "history_user_id", "history_change_reason"]


def _history_csv(history: list[dict], references: dict[int, str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["position", "table", *HISTORY_COLUMNS, "object id", "incident", "fields"])
    for row in history:
        fields = dict(row["fields"])
        meta = [_cell(fields.pop(name, None)) for name in HISTORY_COLUMNS]
        object_id = fields.get("id")
        incident = references.get(object_id) if row["table"] == Incident.history.model._meta.db_table else \
            references.get(fields.get("incident_id"), "")
        writer.writerow([row["position"], row["table"], *meta, object_id, incident or "",
                         _cell(json.dumps(fields, sort_keys=True, ensure_ascii=False))])
    return out.getvalue().encode("utf-8")
