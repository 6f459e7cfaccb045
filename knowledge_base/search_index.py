"""Keeps the SQLite FTS5 tables (created by migration 0002) in step with known errors and articles.

Every `save()` and `delete()` re-indexes its row through the signals below, so services, the
admin and tests need not remember to. Bulk writes (`bulk_create`, `QuerySet.update`) send no
signals: call `sync()` with their ids, or `rebuild()` (the `kb_reindex` command does).

On PostgreSQL there is nothing to keep in step: the search vector is a generated column; after
bulk loads `rebuild()` (or `analyze()`) refreshes the planner's statistics.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connections, router
from django.db.models.signals import post_delete, post_save

from .models import Article, KnownError

# model -> (FTS table, its columns, SQL expressions over the model table filling them, in order)
TABLES = {
    KnownError: (
        "kb_knownerror_fts",
        ("title", "symptoms", "workaround", "root_cause"),
        ("title", "symptoms || ' ' || affected_service", "workaround", "root_cause"),
    ),
    Article: ("kb_article_fts", ("title", "body"), ("title", "body")),
}
BATCH = 500


def _connection(model):
    return connections[router.db_for_write(model)]


def enabled(model=KnownError) -> bool:
    return _connection(model).vendor == "sqlite"


def _chunks(ids: Iterable[int]):
    """The ids in batches, each with its placeholders ("%s,%s,...")."""
    ids = [int(pk) for pk in ids]
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        yield chunk, ",".join(["%s"] * len(chunk))


def sync(model, ids: Iterable[int]) -> None:
    """Re-index these rows from the model table (rows that no longer exist are dropped)."""
    if not enabled(model):
        return
    table, columns, sources = TABLES[model]
    with _connection(model).cursor() as cursor:
        for chunk, marks in _chunks(ids):
            cursor.execute(f"DELETE FROM {table} WHERE rowid IN ({marks})", chunk)
            cursor.execute(
                f"INSERT INTO {table} (rowid, {', '.join(columns)}) "
                f"SELECT id, {', '.join(sources)} FROM {model._meta.db_table} WHERE id IN ({marks})",
                chunk,
            )


def remove(model, ids: Iterable[int]) -> None:
    if not enabled(model):
        return
    table = TABLES[model][0]
    with _connection(model).cursor() as cursor:
        for chunk, marks in _chunks(ids):
            cursor.execute(f"DELETE FROM {table} WHERE rowid IN ({marks})", chunk)


def rebuild() -> None:
    """After a bulk load, a raw import or a restore: re-index everything on SQLite; on PostgreSQL
    (where the vectors are generated columns) bring the indexes and statistics up to date."""
    for model, (table, columns, sources) in TABLES.items():
        if not enabled(model):
            continue
        with _connection(model).cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")
            cursor.execute(
                f"INSERT INTO {table} (rowid, {', '.join(columns)}) "
                f"SELECT id, {', '.join(sources)} FROM {model._meta.db_table}"
            )
            # Merge the b-tree segments left by many small writes, for query speed.
            cursor.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
    analyze()


def analyze() -> None:
    """PostgreSQL: what autovacuum would do a little later. Moves the GIN indexes' pending entries
    into the index proper and refreshes the statistics; with those of an empty table the planner
    scans every row instead of reading the search index. Nothing to do on SQLite."""
    for model in TABLES:
        connection = _connection(model)
        if connection.vendor != "postgresql":
            continue
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT gin_clean_pending_list(indexrelid::regclass) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
                "WHERE i.indrelid = %s::regclass AND am.amname = 'gin'",
                [table],
            )
            cursor.execute(f"ANALYZE {table}")


def _on_save(sender, instance, raw=False, **kwargs) -> None:
    sync(sender, [instance.pk])


def _on_delete(sender, instance, **kwargs) -> None:
    remove(sender, [instance.pk])


def connect_signals() -> None:
    for model in TABLES:
        post_save.connect(_on_save, sender=model, dispatch_uid=f"kb_fts_save_{model._meta.model_name}")
        post_delete.connect(_on_delete, sender=model, dispatch_uid=f"kb_fts_delete_{model._meta.model_name}")
