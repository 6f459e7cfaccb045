"""Set-based writes for the few hot paths that write thousands of rows at once (the SLA sweep).

`bulk_create` and `bulk_update` build a model instance per row and prepare every value through
the field's generic machinery; for the sweep's batches that Python work costs more than the SQL
itself. These functions take plain rows (dicts keyed by attname) and send them the cheapest way
each database has:

- PostgreSQL: `COPY ... FROM STDIN` for inserts (ids, when wanted, drawn from the table's sequence
  first), and one `UPDATE ... FROM unnest(arrays)` for updates: one parameter per column, not per
  value. Multi-row `VALUES` was measured 4-6x slower than COPY for the sweep's 5,000-row batches.
- SQLite: multi-row `INSERT ... VALUES ... RETURNING` and `UPDATE ... FROM (VALUES ...)`, chunked.

They are deliberately small: no signals, no `save()`, no defaults beyond the model's own constant
ones. Use them only for bookkeeping rows that have no behaviour of their own. COPY goes through the
connection's execute wrappers, its error translation and its query log, like any other statement.

`read_rows` is the read of the same kind: rows by primary key as `values()` gives them (every
concrete column by attname, through the same converters), from one statement whose text is built
once per model, for a path that reads a few rows on every write (the audit chain's commit).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, connections, models
from django.utils import timezone

CHUNK = 500  # at most this many rows per statement on SQLite


def _rows_per_statement(columns: int) -> int:
    """As many rows as SQLite's bound-parameter limit allows (999 on old builds), up to CHUNK."""
    limit = connection.features.max_query_params
    try:
        import sqlite3

        connection.ensure_connection()
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    except (AttributeError, ImportError):
        pass  # Python < 3.11: keep Django's conservative figure
    return max(1, min(CHUNK, limit // columns))


def _adapter(field: models.Field) -> Callable[[Any], Any]:
    if connection.vendor == "postgresql" and isinstance(field, models.DateTimeField):
        return lambda value: value  # psycopg adapts aware datetimes itself
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, (models.CharField, models.TextField, models.IntegerField, models.BooleanField,
                          models.ForeignKey)):
        return lambda value: value
    return lambda value: field.get_db_prep_save(value, connection)


def _fill_missing(model: type[models.Model], given: set[str]) -> Callable[[], dict[str, Any]]:
    """A function giving, for one row, the columns the caller left out: `now` for auto_now(_add),
    else the field's default (a callable one is called per row). A column with no default, or
    with a database default this module cannot express, must be given."""
    constant: dict[str, Any] = {}
    per_row: dict[str, models.Field] = {}
    now = timezone.now()
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in given:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            constant[field.attname] = now
        elif getattr(field, "db_default", models.NOT_PROVIDED) is not models.NOT_PROVIDED:
            raise ValueError(f"{model.__name__}.{field.attname} has a database default; give a value for it")
        elif field.has_default() and callable(field.default):
            per_row[field.attname] = field
        elif field.has_default() or field.null or (field.blank and field.empty_strings_allowed):
            constant[field.attname] = field.get_default()
        else:
            raise ValueError(f"{model.__name__}.{field.attname} has no default; give a value for it")
    if not per_row:
        return lambda: constant
    return lambda: {**constant, **{name: field.get_default() for name, field in per_row.items()}}


def _wrapped(cursor, sql: str, run: Callable[[], Any]) -> Any:
    """Run `run()` as if it were `cursor.execute(sql)`: through the connection's execute wrappers,
    with Django's database errors, and in the query log when queries are logged."""
    connection.validate_no_broken_transaction()
    executor = lambda sql, params, many, context: run()  # noqa: E731
    for wrapper in reversed(connection.execute_wrappers):
        executor = functools.partial(wrapper, executor)
    started = time.monotonic()
    with connection.wrap_database_errors:
        result = executor(sql, None, False, {"connection": connection, "cursor": cursor})
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
    return result


def insert_rows(model: type[models.Model], rows: Sequence[dict[str, Any]], *, returning: bool = False) -> list[int]:
    """INSERT the rows (all with the same keys) and, if asked, return their primary keys in the
    order given."""
    if not rows:
        return []
    missing = _fill_missing(model, set(rows[0]))
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = [f.attname for f in fields]
    adapt = [_adapter(f) for f in fields]

    def values(row: dict[str, Any]) -> list[Any]:
        full = {**missing(), **row}
        return [prep(full[name]) for name, prep in zip(names, adapt, strict=True)]

    if connection.vendor == "postgresql":
        return _copy_in(model, fields, [values(row) for row in rows], returning)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    suffix = f" RETURNING {quote(model._meta.pk.column)}" if returning else ""
    ids: list[int] = []
    size = _rows_per_statement(len(fields))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start:start + size]
            params = [value for row in chunk for value in values(row)]
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(chunk))}{suffix}", params)
            if returning:
                ids.extend(pk for (pk,) in cursor.fetchall())
    return ids


def _copy_in(model: type[models.Model], fields: list[models.Field], rows: list[list[Any]], returning: bool) -> list[int]:
    quote = connection.ops.quote_name
    meta = model._meta
    ids: list[int] = []
    with connection.cursor() as cursor:
        if returning:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [quote(meta.db_table), meta.pk.column, len(rows)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
            fields = [meta.pk, *fields]
            rows = [[pk, *row] for pk, row in zip(ids, rows, strict=True)]
        sql = f"COPY {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"

        def run() -> None:
            with cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)

        _wrapped(cursor, sql, run)
    return ids


def update_rows(model: type[models.Model], rows: Iterable[dict[str, Any]], fields: Sequence[str]) -> None:
    """UPDATE the named columns of each row, found by its "pk".

    A list of values joined to the table rather than `bulk_update`'s CASE expression per column,
    whose size grows with rows x columns.
    """
    rows = list(rows)
    if not rows:
        return
    meta = model._meta
    targets = [meta.get_field(name) for name in fields]
    adapt = [_adapter(f) for f in targets]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk = quote(meta.pk.column)
    aliases = [f"c{n}" for n in range(len(targets))]
    assignments = ", ".join(f"{quote(f.column)} = v.{a}" for a, f in zip(aliases, targets, strict=True))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = [[row["pk"] for row in rows]]
            arrays += [[prep(row[f.attname]) for row in rows] for f, prep in zip(targets, adapt, strict=True)]
            # Text as text[], not varchar(n)[]: an explicit cast to varchar(n) would cut a long
            # value silently, where the assignment raises as any UPDATE does.
            types = [meta.pk.db_type(connection)]
            types += ["text" if isinstance(f, (models.CharField, models.TextField)) else f.db_type(connection)
                      for f in targets]
            casts = ", ".join(f"%s::{kind}[]" for kind in types)
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM unnest({casts}) AS v(id, {', '.join(aliases)}) "
                f"WHERE {table}.{pk} = v.id",
                arrays,
            )
            return
        one = "(" + ", ".join(["%s"] * (len(targets) + 1)) + ")"
        size = _rows_per_statement(len(targets) + 1)
        for start in range(0, len(rows), size):
            chunk = rows[start:start + size]
            params: list[Any] = []
            for row in chunk:
                params.append(row["pk"])
                params.extend(prep(row[f.attname]) for f, prep in zip(targets, adapt, strict=True))
            cursor.execute(
                f"WITH v(id, {', '.join(aliases)}) AS (VALUES {', '.join([one] * len(chunk))}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk} = v.id",
                params,
            )


@functools.cache
def converter(model: type[models.Model], attname: str, alias: str = "default") -> Callable[[Any], Any]:
    """What the ORM does to a value of this column as the database returns it (the backend's and the
    field's converters), for a statement written by hand."""
    conn = connections[alias]
    field = next(f for f in model._meta.concrete_fields if f.attname == attname)
    col = field.get_col(model._meta.db_table)
    converters = conn.ops.get_db_converters(col) + col.get_db_converters(conn)

    def convert(value: Any) -> Any:
        for step in converters:
            value = step(value, col, conn)
        return value

    return convert


@functools.cache
def _reader(model: type[models.Model], alias: str) -> tuple[str, list[tuple[str, Callable[[Any], Any]]]]:
    """The SELECT of every concrete column of `model` (up to its WHERE clause) and, per column, its
    attname with the ORM's conversion of its values on this connection."""
    quote = connections[alias].ops.quote_name
    table = model._meta.db_table
    fields = model._meta.concrete_fields
    columns = ", ".join(f"{quote(table)}.{quote(field.column)}" for field in fields)
    sql = f"SELECT {columns} FROM {quote(table)} WHERE {quote(table)}.{quote(model._meta.pk.column)} IN "
    return sql, [(field.attname, converter(model, field.attname, alias)) for field in fields]


def read_rows(model: type[models.Model], pks: Iterable[int], *, using: str = "default") -> list[dict[str, Any]]:
    """The rows of `model` with these primary keys, each as `model._base_manager.values()` would
    give it (no order; a key with no row is left out)."""
    pks = list(pks)
    if not pks:
        return []
    conn = connections[using]
    sql, columns = _reader(model, using)
    out: list[dict[str, Any]] = []
    with conn.cursor() as cursor:
        size = max(1, conn.features.max_query_params or CHUNK)
        for start in range(0, len(pks), size):
            chunk = pks[start:start + size]
            cursor.execute(sql + "(" + ", ".join(["%s"] * len(chunk)) + ")", chunk)
            out.extend({name: convert(value) for value, (name, convert) in zip(values, columns, strict=True)}
                       for values in cursor.fetchall())
    return out
