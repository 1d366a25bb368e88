"""Query expressions shared by the apps."""

from __future__ import annotations

from typing import Any

from django.db.models import IntegerField, QuerySet, Subquery


class RowCount(Subquery):
    """`COUNT(*)` of a queryset as a scalar subquery, so that several counts are one query:
    `DataSubject.objects.filter(pk=…).annotate(demos=RowCount(demos), …)`, or one per row
    with an `OuterRef`. A `none()` queryset counts as NULL."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()

    def __init__(self, queryset: QuerySet[Any]) -> None:
        super().__init__(queryset.order_by().values("pk"))
