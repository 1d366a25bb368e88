"""Aggregates the accountability figures need, on PostgreSQL and SQLite alike.

`Median` is `PERCENTILE_CONT(0.5)` on PostgreSQL; SQLite has no median, so a small Python
aggregate is installed on each SQLite connection (`install_sqlite_aggregates`). `DaysBetween`
is the elapsed time between two instants in days (fractional), which both can take a median of.
"""

from __future__ import annotations

import statistics
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Aggregate, FloatField, Func


class DaysBetween(Func):
    """`end - start` in days, as a float."""

    output_field = FloatField()
    arity = 2

    def _compiled(self, compiler: Any) -> tuple[str, str, list[Any]]:
        start, end = (compiler.compile(e) for e in self.get_source_expressions())
        return start[0], end[0], [*end[1], *start[1]]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        start, end, params = self._compiled(compiler)
        return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        start, end, params = self._compiled(compiler)
        return f"(julianday({end}) - julianday({start}))", params


class Median(Aggregate):
    function = "PERCENTILE_CONT"
    name = "Median"
    output_field = FloatField()
    template = "PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        median = self.copy()
        median.template = "privacyops_median(%(expressions)s)"
        return median.as_sql(compiler, connection, **extra)


class _SqliteMedian:
    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: float | None) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return statistics.median(self.values) if self.values else None


def install_sqlite_aggregates(connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """`connection_created` receiver."""
    if connection.vendor != "sqlite":
        return
    connection.connection.create_aggregate("privacyops_median", 1, _SqliteMedian)
