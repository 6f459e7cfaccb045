"""Set-based writes for the few hot paths that write thousands of rows at once (the SLA sweep).

`bulk_create` and `bulk_update` build a model instance per row and prepare every value through
the field's generic machinery; for the sweep's batches that Python work costs more than the SQL
itself (measured in docs/performance.md). These two functions take plain rows, adapt each column
once by its field type, and send one multi-row statement per chunk. They are deliberately small:
no signals, no `save()`, no defaults beyond the model's own constant ones, so callers use them
only for bookkeeping rows that have no behaviour of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

CHUNK = 500  # rows per statement: well inside SQLite's and PostgreSQL's parameter limits at ~12 columns


def _adapter(field: models.Field) -> Callable[[Any], Any]:
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


def insert_rows(model: type[models.Model], rows: Sequence[dict[str, Any]], *, returning: bool = False) -> list[int]:
    """INSERT the rows (dicts keyed by attname, all with the same keys) and, if asked, return their
    primary keys in the order given."""
    if not rows:
        return []
    given = set(rows[0])
    extra = _fill_missing(model, given)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    adapt = [_adapter(f) for f in fields]
    names = [f.attname for f in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    suffix = f" RETURNING {connection.ops.quote_name(model._meta.pk.column)}" if returning else ""
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            params: list[Any] = []
            for row in chunk:
                for name, prep in zip(names, adapt, strict=True):
                    params.append(prep(row[name] if name in row else extra[name]))
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(chunk))}{suffix}", params)
            if returning:
                ids.extend(pk for (pk,) in cursor.fetchall())
    return ids


def update_rows(model: type[models.Model], rows: Iterable[dict[str, Any]], fields: Sequence[str]) -> None:
    """UPDATE the named columns of each row, found by its "pk", one statement per chunk.

    A VALUES list joined to the table rather than `bulk_update`'s CASE expression per column,
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

    def value(alias: str, field: models.Field) -> str:
        # PostgreSQL types a VALUES column by its first row's literal: cast it to the column's type.
        if connection.vendor == "postgresql":
            return f"CAST(v.{alias} AS {field.db_type(connection)})"
        return f"v.{alias}"

    assignments = ", ".join(f"{quote(f.column)} = {value(a, f)}" for a, f in zip(aliases, targets, strict=True))
    one = "(" + ", ".join(["%s"] * (len(targets) + 1)) + ")"
    with connection.cursor() as cursor:
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
