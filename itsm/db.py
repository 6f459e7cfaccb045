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
ones. Use them only for bookkeeping rows that have no behaviour of their own. Statements go through
the connection's execute wrappers, so query counters and instrumentation see COPY like the rest.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

CHUNK = 500  # rows per SQLite statement: inside its bound-parameter limit at ~12 columns


def _adapter(field: models.Field) -> Callable[[Any], Any]:
    if connection.vendor == "postgresql" and isinstance(field, models.DateTimeField):
        return lambda value: value  # psycopg adapts aware datetimes itself
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, (models.CharField, models.TextField, models.IntegerField, models.BooleanField,
                          models.ForeignKey)):
        return lambda value: value
    return lambda value: field.get_db_prep_save(value, connection)


def _fill_missing(model: type[models.Model], given: set[str]) -> dict[str, Any]:
    """Values for the columns a caller left out: the field's default, `now` for auto_now(_add)."""
    missing: dict[str, Any] = {}
    now = timezone.now()
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in given:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            missing[field.attname] = now
        elif field.has_default() or field.null or field.blank:
            missing[field.attname] = field.get_default()
        else:
            raise ValueError(f"{model.__name__}.{field.attname} has no default; give a value for it")
    return missing


def _wrapped(cursor, sql: str, run: Callable[[], Any]) -> Any:
    """Run `run()` as if it were `cursor.execute(sql)`, through the connection's execute wrappers."""
    executor = lambda sql, params, many, context: run()  # noqa: E731
    for wrapper in reversed(connection.execute_wrappers):
        executor = functools.partial(wrapper, executor)
    return executor(sql, None, False, {"connection": connection, "cursor": cursor})


def insert_rows(model: type[models.Model], rows: Sequence[dict[str, Any]], *, returning: bool = False) -> list[int]:
    """INSERT the rows (all with the same keys) and, if asked, return their primary keys in the
    order given."""
    if not rows:
        return []
    extra = _fill_missing(model, set(rows[0]))
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = [f.attname for f in fields]
    adapt = [_adapter(f) for f in fields]

    def values(row: dict[str, Any]) -> list[Any]:
        return [prep(row[name] if name in row else extra[name]) for name, prep in zip(names, adapt, strict=True)]

    if connection.vendor == "postgresql":
        return _copy_in(model, fields, [values(row) for row in rows], returning)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    suffix = f" RETURNING {quote(model._meta.pk.column)}" if returning else ""
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
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
            types = [meta.pk.db_type(connection), *(f.db_type(connection) for f in targets)]
            casts = ", ".join(f"%s::{kind}[]" for kind in types)
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM unnest({casts}) AS v(id, {', '.join(aliases)}) "
                f"WHERE {table}.{pk} = v.id",
                arrays,
            )
            return
        one = "(" + ", ".join(["%s"] * (len(targets) + 1)) + ")"
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            params: list[Any] = []
            for row in chunk:
                params.append(row["pk"])
                params.extend(prep(row[f.attname]) for f, prep in zip(targets, adapt, strict=True))
            cursor.execute(
                f"WITH v(id, {', '.join(aliases)}) AS (VALUES {', '.join([one] * len(chunk))}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk} = v.id",
                params,
            )
