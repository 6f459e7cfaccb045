"""Fast inserts of plain rows (dicts keyed by attname) for the data set's large tables.

`bulk_create` builds a model instance per row and, on SQLite, splits the insert into statements of
999 parameters (28 rows of a historical incident). One prepared INSERT run through `executemany`
is several times faster, and it writes exactly the timestamps given: `auto_now` and
`auto_now_add` would otherwise stamp three years of history with today's date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC

from django.core.management.color import no_style
from django.db import connection, models


class RowWriter:
    """Inserts rows into one model's table.

    The rows hold plain Python values (str, int, bool, None, aware datetimes) that the drivers take
    as they are, except SQLite's datetimes, which Django stores as naive UTC text. Converting only
    those, instead of calling `get_db_prep_save` for every value, is most of the speed. SQLite gets
    one prepared INSERT through `executemany`, PostgreSQL a COPY.
    """

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields]
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        placeholders = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
        self.copy_sql = f"COPY {table} ({columns}) FROM STDIN"
        self.defaults = {f.attname: f.get_default() for f in self.fields}
        self.datetimes = [
            i for i, f in enumerate(self.fields)
            if connection.vendor == "sqlite" and isinstance(f, models.DateTimeField)
        ]
        self.count = 0

    def insert(self, rows: Iterable[dict]) -> int:
        names = [f.attname for f in self.fields]
        defaults = self.defaults
        datetimes = self.datetimes
        params = []
        for row in rows:
            values = [row.get(name, defaults[name]) for name in names]
            for i in datetimes:
                if values[i] is not None:
                    values[i] = str(values[i].astimezone(UTC).replace(tzinfo=None))
            params.append(values)
        if params and connection.vendor == "postgresql":
            self._copy(params)
        elif params:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, params)
        self.count += len(params)
        return len(params)


    def _copy(self, params: list[list]) -> None:
        # COPY streams the rows in one command: executemany costs a round trip per row there.
        connection.ensure_connection()
        with connection.connection.cursor() as cursor, cursor.copy(self.copy_sql) as copy:
            for values in params:
                copy.write_row(values)


def next_id(model: type[models.Model]) -> int:
    """The first free primary key value (rows are inserted with explicit ids)."""
    pk = model._meta.pk.attname
    last = model.objects.order_by(f"-{pk}").values_list(pk, flat=True).first()
    return (last or 0) + 1


def reset_sequences(models_: list[type[models.Model]]) -> None:
    """After explicit-id inserts, move PostgreSQL's id sequences past the inserted ids."""
    statements = connection.ops.sequence_reset_sql(no_style(), models_)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
