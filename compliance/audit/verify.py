"""Walking the audit chains: is every entry still linked, and does every row still say what it said?

One pass in `position` order checks the global chain and, on the way, every incident's chain (an
incident's entries are a subsequence of the global ones). Each batch of entries is checked against
its source rows read back in one query per table, so 100k entries cost a few hundred queries.
What can be wrong with an entry, in the order it is checked:
- an entry before it is gone (the positions jump), or its links do not meet the entry before it;
- the entry itself was edited (its hash is not the hash of its fields);
- its source row was deleted ("missing") or changed since it was recorded (the content hash).
Deleting the newest entries leaves a shorter chain that is still whole: compare the head with one
kept elsewhere (every export's manifest carries it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps

from . import content as c

FIELDS = ("position", "recorded_at", "table", "row_pk", "incident_id", "incident_position", "content",
          "content_hash", "prev_hash", "hash", "incident_prev_hash", "incident_hash")


@dataclass(frozen=True)
class Entry:
    position: int
    recorded_at: object
    table: str
    row_pk: int | None
    incident_id: int | None
    incident_position: int | None
    content: str
    content_hash: str
    prev_hash: str
    hash: str
    incident_prev_hash: str
    incident_hash: str


@dataclass(frozen=True)
class Break:
    """The first entry that does not hold, and what is wrong with it."""

    position: int
    table: str
    row_pk: int | None
    incident_id: int | None
    problem: str

    def __str__(self) -> str:
        row = f"{self.table} #{self.row_pk}" if self.row_pk is not None else self.table
        where = f", incident id {self.incident_id}" if self.incident_id is not None else ""
        return f"entry {self.position} ({row}{where}): {self.problem}"


@dataclass(frozen=True)
class Report:
    entries: int
    incidents: int
    broken: Break | None
    head: tuple[int, str]

    @property
    def ok(self) -> bool:
        return self.broken is None


def source_tables() -> dict[str, type]:
    return {model._meta.db_table: model for model in apps.get_models()}


def entry_batches(queryset, size: int) -> Iterator[list[Entry]]:
    batch: list[Entry] = []
    for values in queryset.values_list(*FIELDS).iterator(chunk_size=size):
        batch.append(Entry(*values))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def current_contents(batch: list[Entry], tables: dict[str, type], using: str) -> dict[tuple[str, int], str]:
    """The canonical content of each batch entry's source row as it is now, one query per table."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for entry in batch:
        if entry.row_pk is not None and entry.table in tables:
            wanted[entry.table].add(entry.row_pk)
    now: dict[tuple[str, int], str] = {}
    for table, pks in wanted.items():
        model = tables[table]
        for fields in model._base_manager.using(using).filter(pk__in=pks).values():
            pk = fields[model._meta.pk.attname]
            now[(table, pk)] = c.row_content(table, pk, fields)
    return now


def _content_problem(entry: Entry, now: dict[tuple[str, int], str], tables: dict[str, type]) -> str | None:
    if entry.row_pk is None:
        if c.sha256(entry.content) != entry.content_hash:
            return "its recorded content was edited (content hash mismatch)"
        return None
    if entry.table not in tables:
        return f"no table {entry.table} to check the row against"
    text = now.get((entry.table, entry.row_pk))
    if text is None:
        return "its source row is missing (deleted since it was recorded)"
    if c.sha256(text) != entry.content_hash:
        return "its source row was changed since it was recorded (content hash mismatch)"
    return None


def _incident_problem(entry: Entry, last: tuple[int, str]) -> str | None:
    at, before = last
    if entry.incident_position != at + 1:
        return (f"the incident's chain jumps from {at} to {entry.incident_position}: "
                "an entry of this incident is missing before it")
    if entry.incident_prev_hash != before:
        return "its link to the incident's previous entry does not match (incident chain broken)"
    expected = c.incident_hash(entry.incident_id, entry.incident_position, entry.incident_prev_hash, entry.content_hash)
    if entry.incident_hash != expected:
        return "the entry was edited: its incident hash does not match its fields"
    return None


def _own_problem(entry: Entry) -> str | None:
    if entry.incident_id is None and (entry.incident_hash or entry.incident_position is not None):
        return "the entry was edited: it has an incident link but no incident (taken out of its incident's chain)"
    if entry.hash != c.chain_hash(entry.position, entry.recorded_at, entry.prev_hash, entry.content_hash,
                                   entry.incident_hash):
        return "the entry was edited: its hash does not match its fields (chain hash mismatch)"
    return None


def _broken(entry: Entry, problem: str) -> Break:
    return Break(entry.position, entry.table, entry.row_pk, entry.incident_id, problem)


def verify(*, incident_id: int | None = None, batch_size: int = 2000, using: str = "default") -> Report:
    """Walk the global chain and every incident's chain (or only the chain of `incident_id`)."""
    from ..models import AuditEntry

    tables = source_tables()
    entries = AuditEntry.objects.using(using)
    if incident_id is not None:
        return _verify_incident(entries.filter(incident_id=incident_id).order_by("incident_position"),
                                incident_id, tables, batch_size, using)
    last = (0, c.GENESIS)
    incident_heads: dict[int, tuple[int, str]] = {}
    count = 0
    for batch in entry_batches(entries.order_by("position"), batch_size):
        now = current_contents(batch, tables, using)
        for entry in batch:
            problem = None
            if entry.position != last[0] + 1:
                problem = f"the chain jumps from {last[0]} to {entry.position}: an entry is missing before it"
            elif entry.prev_hash != last[1]:
                problem = "its link to the previous entry does not match (global chain broken)"
            problem = problem or _own_problem(entry)
            if problem is None and entry.incident_id is not None:
                problem = _incident_problem(entry, incident_heads.get(entry.incident_id, (0, c.GENESIS)))
            problem = problem or _content_problem(entry, now, tables)
            if problem:
                return Report(count, len(incident_heads), _broken(entry, problem), last)
            count += 1
            last = (entry.position, entry.hash)
            if entry.incident_id is not None:
                incident_heads[entry.incident_id] = (entry.incident_position, entry.incident_hash)
    return Report(count, len(incident_heads), None, last)


def _verify_incident(queryset, incident_id: int, tables, batch_size: int, using: str) -> Report:
    last = (0, c.GENESIS)
    count = 0
    for batch in entry_batches(queryset, batch_size):
        now = current_contents(batch, tables, using)
        for entry in batch:
            problem = _incident_problem(entry, last) or _own_problem(entry) or _content_problem(entry, now, tables)
            if problem:
                return Report(count, 1, _broken(entry, problem), last)
            count += 1
            last = (entry.incident_position, entry.incident_hash)
    return Report(count, 1 if count else 0, None, last)
