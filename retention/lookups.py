"""`id__any_of=[...]`: a batch of ids as one array parameter on PostgreSQL.

`__in` binds each id separately: 5 000 ids in five statements per batch is 25 000
parameters for Django and the driver to process, measured at ~40 % of the purge's Python
time. PostgreSQL takes the whole list as one array (`= ANY(%s)`); other databases get the
same `IN (…)` as before.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from core.generics import AnyLookup


class AnyOf(AnyLookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return [int(value) for value in self.rhs]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = list(self.rhs)
        if not ids:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, ids]
        placeholders = ", ".join(["%s"] * len(ids))
        return f"{lhs} IN ({placeholders})", [*lhs_params, *ids]


def register() -> None:
    for field in (models.AutoField, models.BigAutoField, models.BigIntegerField, models.ForeignKey):
        field.register_lookup(AnyOf)
