"""Query expressions shared by the apps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import IntegerField, QuerySet, Subquery


class RowCount(Subquery):
    """`COUNT(*)` of a queryset as a scalar subquery, so that several counts are one query:
    `DataSubject.objects.filter(pk=…).annotate(demos=RowCount(demos), …)`, or one per row
    with an `OuterRef`. A `none()` queryset counts as NULL."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()

    def __init__(self, queryset: QuerySet[Any]) -> None:
        super().__init__(queryset.order_by().values("pk"))


def row_counts(querysets: Sequence[QuerySet[Any]]) -> list[int]:
    """`COUNT(*)` of each queryset, of any models, in one query: `SELECT (SELECT COUNT(*)
    …), (…)`. For a page that says how long several lists are; a `none()` queryset counts 0
    without a subquery."""
    parts: list[str] = []
    params: list[Any] = []
    for queryset in querysets:
        try:
            sql, own = queryset.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # `none()`, or `pk__in=[]`
            parts.append("0")
            continue
        # Django's own SQL of the queryset; its values stay parameters.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{len(parts)})")  # noqa: S608
        params.extend(own)
    if not parts:
        return []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        (counts,) = cursor.fetchall()
    return [int(count) for count in counts]
