"""Encrypting a column that held clear text, in place, as a migration step.

`encrypt_in_place("subjects", "DataSubject", "first_name", …)` is a reversible `RunPython` to
put after the `AlterField` that makes those fields `EncryptedStringField`s. Forwards, every
value is encrypted and a blank one becomes NULL; a value that already decrypts is left as it
is, so an interrupted run can simply be run again. Backwards, values are decrypted and NULL
becomes "" again (the clear columns were `NOT NULL`), before the field is altered back.

The rows are read and written with plain SQL, batch by batch in primary-key order: the
historical model would try to decrypt the clear values it reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.db import migrations

from core import crypto

# One UPDATE per row (`executemany`) in batches of 1 000 rows: encrypting is ~10 µs a value,
# so the database round trips, not the cipher, set the pace (~20 000 rows/s on PostgreSQL).
BATCH_SIZE = 1000

Convert = Callable[[str | None], str | None]


def _encrypt(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        crypto.decrypt(value.encode("ascii"))
    except (crypto.InvalidToken, UnicodeEncodeError):
        return crypto.encrypt(value.encode()).decode("ascii")
    return value  # encrypted by an earlier, interrupted run


def _decrypt(value: str | None) -> str | None:
    if value is None:
        return ""
    try:
        return crypto.decrypt(value.encode("ascii")).decode()
    except (crypto.InvalidToken, UnicodeEncodeError):
        return value  # never encrypted


def _batches(cursor: Any, table: str, pk: str, columns: list[str]) -> Iterator[list[Any]]:
    last: Any = None
    while True:
        where = f"WHERE {pk} > %s" if last is not None else ""
        cursor.execute(
            f"SELECT {pk}, {', '.join(columns)} FROM {table} {where} "  # noqa: S608
            f"ORDER BY {pk} LIMIT {BATCH_SIZE}",
            [last] if last is not None else [],
        )
        rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _rewrite(app_label: str, model_name: str, fields: tuple[str, ...], convert: Convert) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        quote = schema_editor.connection.ops.quote_name
        table = quote(model._meta.db_table)
        pk = quote(model._meta.pk.column)
        columns = [quote(model._meta.get_field(name).column) for name in fields]
        sets = ", ".join(f"{column} = %s" for column in columns)
        with schema_editor.connection.cursor() as cursor:
            for rows in _batches(cursor, table, pk, columns):
                changed = []
                for row in rows:
                    values = [convert(value) for value in row[1:]]
                    if values != list(row[1:]):
                        changed.append([*values, row[0]])
                if changed:
                    cursor.executemany(
                        f"UPDATE {table} SET {sets} WHERE {pk} = %s",  # noqa: S608
                        changed,
                    )

    return run


def encrypt_in_place(app_label: str, model_name: str, *fields: str) -> migrations.RunPython:
    return migrations.RunPython(
        _rewrite(app_label, model_name, fields, _encrypt),
        _rewrite(app_label, model_name, fields, _decrypt),
        elidable=False,
    )
