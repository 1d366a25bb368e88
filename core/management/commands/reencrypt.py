from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from tqdm import tqdm

from core import crypto
from core.fields import encrypted_fields

# One batch is one transaction; 500 rows keep each commit short (~50 ms on SQLite and
# PostgreSQL here) while the per-batch overhead stays small.
BATCH_SIZE = 500


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column under the newest key of FIELD_ENCRYPTION_KEYS. "
        "Resumable: rows already under the newest key are skipped, so a rerun finishes the work."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = options["batch_size"]
        total_rotated = 0
        for model in apps.get_models():
            fields = encrypted_fields(model)
            if not fields:
                continue
            rotated = self.reencrypt_model(model, fields, batch_size, not options["no_progress"])
            total_rotated += rotated
            self.stdout.write(f"{model._meta.label}: {rotated} rows re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"Done: {total_rotated} rows re-encrypted."))

    def reencrypt_model(
        self, model: Any, fields: list[Any], batch_size: int, progress: bool
    ) -> int:
        qn = connection.ops.quote_name
        table = qn(model._meta.db_table)
        pk = qn(model._meta.pk.column)
        columns = [qn(f.column) for f in fields]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
            total = cursor.fetchone()[0]
        bar = tqdm(total=total, desc=model._meta.label, disable=not progress, unit="row")
        last_pk: Any = None
        rotated = 0
        while True:
            where = f"WHERE {pk} > %s" if last_pk is not None else ""
            params = [last_pk] if last_pk is not None else []
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {pk}, {', '.join(columns)} FROM {table} {where} "  # noqa: S608
                    f"ORDER BY {pk} LIMIT %s",
                    [*params, batch_size],
                )
                rows = cursor.fetchall()
                if not rows:
                    break
                for row in rows:
                    updates = {}
                    for field, column, raw in zip(fields, columns, row[1:], strict=True):
                        if raw is None:
                            continue
                        token = bytes(raw) if not isinstance(raw, str) else raw.encode()
                        if crypto.is_current(token):
                            continue
                        new = crypto.rotate(token)
                        updates[column] = field._store(connection, new)
                    if updates:
                        sets = ", ".join(f"{c} = %s" for c in updates)
                        cursor.execute(
                            f"UPDATE {table} SET {sets} WHERE {pk} = %s",  # noqa: S608
                            [*updates.values(), row[0]],
                        )
                        rotated += 1
                last_pk = rows[-1][0]
            bar.update(len(rows))
        bar.close()
        return rotated
