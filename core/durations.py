"""Durations computed by the database itself, for figures averaged over many rows (MTTA, MTTR)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import F, FloatField, Func


class SecondsBetween(Func):
    """`later - earlier` in seconds, computed by the database itself (PostgreSQL and SQLite, the
    two the project runs on). Django's datetime subtraction on SQLite calls a Python function for
    every row (`django_timestamp_diff`), which was most of these figures' time; `julianday` is
    SQLite's own."""

    template = "EXTRACT(EPOCH FROM (%(expressions)s))::double precision"
    arg_joiner = " - "
    output_field = FloatField()

    def __init__(self, later: str, earlier: str) -> None:
        super().__init__(F(later), F(earlier))

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="((julianday(%(expressions)s)) * 86400.0)",
                              arg_joiner=") - julianday(", **extra)


def seconds(value: float | None) -> timedelta | None:
    """A database's mean in seconds as a duration to the second (None: nothing to average)."""
    return None if value is None else timedelta(seconds=round(value))


def duration_text(value: timedelta | None) -> str:
    """"2 d 4 h", "3 h 05 min", "12 min"; "–" for no value."""
    if value is None:
        return "–"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


@dataclass(frozen=True)
class Mean:
    """A mean duration over `count` incidents (None when there were none)."""

    value: timedelta | None
    count: int


@dataclass(frozen=True)
class Share:
    """`met` of `count` incidents; `percent` None when there were none."""

    met: int
    count: int

    @property
    def percent(self) -> float | None:
        return 100 * self.met / self.count if self.count else None
