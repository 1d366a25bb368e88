"""`bulk_create` by PostgreSQL's `COPY … FROM STDIN`, for the bulk paths that write thousands
of rows per call (the API's bulk upsert, CSV imports: `DataSubjectQuerySet.bulk_create`).

Django's `bulk_create` builds one `INSERT … VALUES` with a placeholder per value, which the
driver then interpolates value by value: for 10 000 people of ~30 columns, 300 000 values
through the SQL compiler and the driver's quoting, measured at two thirds of the time of a
`bulk_create` of encrypted people (bench/api.py). `COPY` streams the same values as one text
buffer that PostgreSQL parses itself.

The values are exactly those `bulk_create` would write: each field's `pre_save(obj,
add=True)` then `get_db_prep_save` — so encryption, blind indexes and `auto_now` happen as on
every other path. Ids are drawn from the table's sequence first (one `nextval` per row, in one
statement) and written with the rows, so the objects come back with their primary keys as
`bulk_create`'s do. Triggers and constraints run as for an INSERT.

Not used: django-postgres-copy, which loads CSV files through a temporary table by column
mapping and does not call the fields' `get_db_prep_save` (ciphertext and blind indexes would
have to be made by hand) nor return the new ids.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import uuid
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from operator import attrgetter
from typing import Any, TypeVar

from django.db import connections, models

_M = TypeVar("_M", bound=models.Model)

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_supported(using: str) -> bool:
    return connections[using].vendor == "postgresql"


def copy_text(value: Any) -> str:
    """One value in COPY's text format (PostgreSQL documentation, "COPY", "Text Format")."""
    if value is None:
        return "\\N"
    if type(value) is str:  # most values: ciphertext, codes, digests
        return value.translate(_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | float | decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bytes | bytearray | memoryview):
        # bytea's hex input, its backslash escaped for the text format.
        return "\\\\x" + bytes(value).hex()
    adapted = getattr(value, "adapted", None)  # psycopg2's Binary wrapper
    if isinstance(adapted, bytes | bytearray | memoryview):
        return "\\\\x" + bytes(adapted).hex()
    raise TypeError(f"copy_insert cannot write a {type(value).__name__}: use bulk_create")


def copy_insert(objs: Sequence[_M], *, using: str, with_ids: bool = True) -> list[_M]:
    """Insert `objs` (all of one model, none saved) with `COPY`; returns them with their ids
    set when `with_ids`. Without, the database numbers the rows and the objects keep no id:
    for rows nobody reads back (the kind history of new people)."""
    if not objs:
        return list(objs)
    model = type(objs[0])
    meta = model._meta
    connection = connections[using]
    fields = [f for f in meta.concrete_fields if with_ids or not f.primary_key]
    pk = meta.pk
    assert pk is not None
    if with_ids:
        if any(obj.pk is not None for obj in objs):
            raise ValueError("copy_insert draws the ids itself: the objects must have none.")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(objs)],
            )
            for obj, (pk_value,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk_value
    # (read, prepare, whether the field writes None as NULL — asked once per field, not per
    # row: most of a new person's columns are empty, and skipping the call for them is a
    # third of the preparation.)
    steps = [
        (_reader(f), f.get_db_prep_save, f.get_db_prep_save(None, connection) is None)
        for f in fields
    ]
    rows = []
    for obj in objs:
        # As bulk_create: a related object assigned before it was saved sets its id now.
        instance: Any = obj
        instance._prepare_related_fields_for_save(operation_name="bulk_create")
        row = []
        for read, prepare, none_is_null in steps:
            value = read(obj)
            row.append(None if value is None and none_is_null else prepare(value, connection))
        rows.append(row)
    copy_rows(meta.db_table, [f.column for f in fields], rows, using=using)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    return list(objs)


def _reader(field: models.Field[Any, Any]) -> Callable[[models.Model], Any]:
    """`field.pre_save(obj, add=True)`, read straight off the object where that is all
    pre_save does: Django's own, or a date field's without `auto_now`/`auto_now_add`."""
    pre_save = type(field).pre_save
    plain = pre_save is models.Field.pre_save or (
        pre_save in (models.DateField.pre_save, models.DateTimeField.pre_save)
        and not getattr(field, "auto_now", False)
        and not getattr(field, "auto_now_add", False)
    )
    if plain:
        return attrgetter(field.attname)
    return partial(field.pre_save, add=True)


def copy_rows(
    table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, using: str
) -> None:
    """`COPY table (columns)` of rows of database values (what `get_db_prep_save` gives)."""
    connection = connections[using]
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(map(copy_text, row)))
        buffer.write("\n")
    buffer.seek(0)
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        # wrap_database_errors: IntegrityError & co. as Django's, as from execute().
        cursor.cursor.copy_expert(
            f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN", buffer
        )


def bulk_insert(
    objs: Sequence[_M], *, using: str, batch_size: int, with_ids: bool = True
) -> list[_M]:
    """`copy_insert` on PostgreSQL, `bulk_create` in batches elsewhere (SQLite)."""
    if not objs:
        return []
    if copy_supported(using) and all(obj.pk is None for obj in objs):
        return copy_insert(objs, using=using, with_ids=with_ids)
    manager: Any = type(objs[0])._default_manager
    return list(manager.using(using).bulk_create(objs, batch_size=batch_size))
