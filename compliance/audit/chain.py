"""Appending to the audit chain: entries wait in their transaction and join the chain as its last act.

The global chain is one sequence, so appending to it is a serialisation point: the append takes a
lock (`pg_advisory_xact_lock` on PostgreSQL; SQLite serialises writers itself) that it holds until
the transaction ends. Taken in the middle of a transaction, that lock would deadlock any two that
lock incidents in opposite orders (T1 holds the chain and waits for incident B, which T2 holds while
it waits for the chain), so it is taken last: `append` only notes the rows, and the connection
writes the entries of the whole transaction in one go just before COMMIT, after every row lock the
transaction will ever take. The entry rows keep no foreign key to the incident, so that writing
them takes no key lock either. The content hashes are computed then too, from the rows as the
transaction leaves them: the SLA sweep rewrites its events' messages (`events.amend_messages`) after
writing them, and the hash is of the message that commits.

Savepoints are honoured: what was noted inside a savepoint that rolls back is forgotten with it.
Outside a transaction (autocommit), and directly under a test case's own transaction (which never
commits), the entries are written at once; in a test the outermost block of the code under test
writes them when it exits.

Per flush: one read of each source table, the lock, one read of the chain heads, one insert. The
flush runs on every commit that wrote an event or a history row, so its statements are built once
(`core.bulk.read_rows`, and the heads' SQL) rather than compiled by the ORM on every commit: they
were a third of a new alert's request.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connections, models
from django.utils import timezone

from core import bulk

from . import content as c

LOCK_KEY = 0x6175646974  # "audit": the advisory lock of the global chain's head


@dataclass(frozen=True)
class Pending:
    """A row to record: read at flush time from `model` by `pk`, or given as `content`."""

    table: str
    pk: int | None
    incident_id: int | None = None
    model: type[models.Model] | None = None
    content: str = ""
    review_id: int | None = None  # a review's row belongs to the review's incident, looked up at flush


def append(items: list[Pending], using: str = "default") -> None:
    """Record these rows in the audit chain, in the caller's transaction (see the module's note)."""
    if not items:
        return
    conn = connections[using]
    _install(conn)
    if _at_top(conn):
        # Nothing will commit around us that we could wait for: our own short transaction, or
        # (under a test case) a savepoint.
        from django.db import transaction

        with transaction.atomic(using=using):
            write(items, using)
        return
    conn._audit_pending.append((tuple(s for s in conn.savepoint_ids if s), items))


def pending(using: str = "default") -> list[Pending]:
    """What this connection's transaction has noted and not yet written."""
    return [item for _, items in getattr(connections[using], "_audit_pending", ()) for item in items]


def _at_top(conn) -> bool:
    """True when no commit of the code at work is still to come: outside a transaction, or under a
    test case's transaction with no block of its own, or only one without a savepoint (such as
    `members.add()`'s), whose exit never commits."""
    if not conn.in_atomic_block:
        return True
    real = [b for b in conn.atomic_blocks if not getattr(b, "_from_testcase", False)]
    return not real or (len(real) < len(conn.atomic_blocks) and not real[0].savepoint)


def _install(conn) -> None:
    """Make this connection write its noted entries just before it commits (once per connection)."""
    if getattr(conn, "_audit_pending", None) is not None:
        return
    conn._audit_pending = []
    commit, savepoint_commit = conn.commit, conn.savepoint_commit
    savepoint_rollback, rollback, close = conn.savepoint_rollback, conn.rollback, conn.close
    using = conn.alias

    def take() -> list[Pending]:
        items = [item for _, batch in conn._audit_pending for item in batch]
        conn._audit_pending = []
        return items

    def flushing_commit() -> None:
        if conn._audit_pending:
            try:
                write(take(), using)
            except BaseException:
                # Atomic rolls back only after a database error: nothing half-saved on any other.
                rollback()
                raise
        commit()

    def flushing_savepoint_commit(sid) -> None:
        if conn._audit_pending and _at_top(conn):
            write(take(), using)  # a test's outermost block of the code under test
        savepoint_commit(sid)

    def forgetting_savepoint_rollback(sid) -> None:
        conn._audit_pending = [(sids, batch) for sids, batch in conn._audit_pending if sid not in sids]
        savepoint_rollback(sid)

    def forgetting_rollback() -> None:
        conn._audit_pending = []
        rollback()

    def forgetting_close() -> None:
        conn._audit_pending = []
        close()

    conn.commit, conn.savepoint_commit = flushing_commit, flushing_savepoint_commit
    conn.savepoint_rollback, conn.rollback, conn.close = forgetting_savepoint_rollback, forgetting_rollback, forgetting_close


def _contents(items: list[Pending], using: str) -> list[tuple[Pending, str, int | None]]:
    """Each item with its canonical content and incident, one read per source table. A row
    deleted later in the same transaction has nothing left to record and is left out."""
    by_model: dict[type[models.Model], set[int]] = defaultdict(set)
    for item in items:
        if item.model is not None:
            by_model[item.model].add(item.pk)
    found: dict[tuple[str, int], str] = {}
    for model, pks in by_model.items():
        table, pk_name = model._meta.db_table, model._meta.pk.attname
        for fields in bulk.read_rows(model, pks, using=using):
            pk = fields[pk_name]
            found[(table, pk)] = c.row_content(table, pk, fields)
    review_incident: dict[int, int] = {}
    reviews = {item.review_id for item in items if item.review_id is not None}
    if reviews:
        from reviews.models import PostIncidentReview

        review_incident = dict(PostIncidentReview.objects.using(using).filter(pk__in=reviews)
                               .values_list("pk", "incident_id"))
    out, seen = [], set()
    for item in items:
        if item.model is None:
            out.append((item, item.content, item.incident_id))
            continue
        key = (item.table, item.pk)
        if key in seen or key not in found:
            continue
        seen.add(key)
        incident_id = item.incident_id if item.review_id is None else review_incident.get(item.review_id)
        out.append((item, found[key], incident_id))
    return out


def _lock(using: str) -> None:
    conn = connections[using]
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def heads(incident_ids: set[int], using: str = "default") -> tuple[tuple[int, str], dict[int, tuple[int, str]]]:
    """The global head (position, hash) and each incident's (incident position, hash), one query."""
    from ..models import AuditEntry

    conn = connections[using]
    quote = conn.ops.quote_name
    table = quote(AuditEntry._meta.db_table)
    at, incident = quote("position"), quote(AuditEntry._meta.get_field("incident").column)
    columns = ", ".join((at, quote("hash"), incident, quote("incident_position"), quote("incident_hash")))
    sql = f"SELECT {columns} FROM {table} WHERE {at} = (SELECT MAX({at}) FROM {table})"
    params: list[int] = []
    if incident_ids:
        params = sorted(incident_ids)
        sql += (f" OR {at} IN (SELECT MAX({at}) FROM {table} WHERE {incident} IN "
                f"({', '.join(['%s'] * len(params))}) GROUP BY {incident})")
    top: tuple[int, str] = (0, c.GENESIS)
    per_incident: dict[int, tuple[int, str]] = {}
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        for position, hash_, incident_id, incident_position, incident_hash in cursor.fetchall():
            if position > top[0]:
                top = (position, hash_)
            if incident_id in incident_ids:
                per_incident[incident_id] = (incident_position, incident_hash)
    return top, per_incident


def write(items: list[Pending], using: str = "default") -> int:
    """Link the items into both chains now, in the current transaction. Returns how many."""
    from ..models import AuditEntry

    contents = _contents(items, using)  # before the lock: the lock is held as briefly as can be
    if not contents:
        return 0
    _lock(using)
    (position, prev), incident_heads = heads({i for _, _, i in contents if i is not None}, using)
    now = timezone.now()
    rows: list[dict[str, Any]] = []
    for item, text, incident_id in contents:
        position += 1
        content_hash = c.sha256(text)
        row = {
            "position": position, "recorded_at": now, "table": item.table, "row_pk": item.pk,
            "incident_id": incident_id, "incident_position": None, "content": item.content,
            "content_hash": content_hash, "prev_hash": prev, "incident_prev_hash": "", "incident_hash": "",
        }
        if incident_id is not None:
            at, before = incident_heads.get(incident_id, (0, c.GENESIS))
            at += 1
            row.update(incident_position=at, incident_prev_hash=before,
                       incident_hash=c.incident_hash(incident_id, at, before, content_hash))
            incident_heads[incident_id] = (at, row["incident_hash"])
        row["hash"] = prev = c.chain_hash(position, now, prev, content_hash, row["incident_hash"])
        rows.append(row)
    bulk.insert_rows(AuditEntry, rows)
    return len(rows)
