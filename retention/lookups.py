"""`id__any_of=IdArray(ids)`: a batch of ids as one array parameter on PostgreSQL.

`__in` binds each id separately: 5 000 ids in five statements per batch is 25 000
parameters for Django and the driver to process, measured at ~40 % of the purge's Python
time. PostgreSQL takes the whole list as one array (`= ANY(%s)`); other databases get the
same `IN (…)` as before.

Wrapped in `IdArray`, the ids also pass Django's filter machinery whole: a list or tuple is
resolved element by element (`Query.resolve_lookup_value`) and, on a foreign key, each element
is type-checked (`Query.check_related_objects`) — six million calls in a purge of a million
people (bench/purge.py). A plain list still works, at that price.

On PostgreSQL the array goes as one text literal (`'{1,2,…}'::bigint[]`), written once per
`IdArray`: psycopg2 adapts a list element by element into `ARRAY[…]` for every statement, and
a purge batch names its 5 000 ids in eight statements — ~10 s of a million people's purge.
`IdArray(ids)` of an `IdArray` is that same array, so a batch passed on to several statements
is converted and written once.

The right-hand side may also be a one-column subquery (`people.values("pk")`): on PostgreSQL
`= ANY(ARRAY(subquery))`, which the server evaluates once and then probes the index with, as
for an array of ids, where `IN (subquery)` is planned as a hash join over the whole table
(measured on the name tokens of a purge batch: 46 ms against 63 ms, and no round trip to read
the ids first); elsewhere `IN (subquery)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models.sql.query import Query

from core.generics import AnyLookup


class IdArray:
    """Ids for an `__any_of` lookup, opaque to Django until the lookup reads them: neither a
    list nor iterable, so the filter machinery hands it over untouched."""

    __slots__ = ("_literal", "ids")

    def __new__(cls, ids: Iterable[int] | IdArray) -> IdArray:
        return ids if isinstance(ids, IdArray) else super().__new__(cls)

    def __init__(self, ids: Iterable[int] | IdArray) -> None:
        if isinstance(ids, IdArray):
            return  # `__new__` gave back that array itself: its ids and literal stand
        self.ids = [int(pk) for pk in ids]
        self._literal: str | None = None

    def __repr__(self) -> str:
        return f"IdArray({len(self.ids)} ids)"

    @property
    def literal(self) -> str:
        """The ids as a PostgreSQL array literal, `{1,2,3}` (ints: nothing to escape)."""
        if self._literal is None:
            self._literal = "{" + ",".join(map(str, self.ids)) + "}"
        return self._literal


class AnyOf(AnyLookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        if isinstance(self.rhs, IdArray | Query):
            return self.rhs  # an array, or a subquery (a queryset, as Django resolved it)
        return IdArray(self.rhs)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if isinstance(self.rhs, Query):
            self.rhs.clear_ordering(clear_default=True)
            subquery, params = self.process_rhs(compiler, connection)  # "(SELECT …)"
            if connection.vendor == "postgresql":
                return f"{lhs} = ANY(ARRAY{subquery})", [*lhs_params, *params]
            return f"{lhs} IN {subquery}", [*lhs_params, *params]
        ids: IdArray = self.rhs
        if not ids.ids:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, ids.literal]
        placeholders = ", ".join(["%s"] * len(ids.ids))
        return f"{lhs} IN ({placeholders})", [*lhs_params, *ids.ids]


def register() -> None:
    for field in (models.AutoField, models.BigAutoField, models.BigIntegerField, models.ForeignKey):
        field.register_lookup(AnyOf)
