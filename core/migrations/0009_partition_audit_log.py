"""On PostgreSQL the audit log becomes a table partitioned by month of `occurred_at`, with
its rows, indexes and append-only triggers (`core.partitions`); the owner's function that
makes the months ahead is installed. SQLite keeps its plain table.

Not reversible on PostgreSQL: the partitioned table serves the earlier code as it is."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.utils import timezone

from core.partitions import convert_to_partitions, make_partitions_sql


def partition_audit_log(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
    schema_editor.execute(make_partitions_sql(schema), params=None)
    convert_to_partitions(schema_editor, "core_auditevent", now=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("core", "0008_role_keys")]

    operations = [
        migrations.RunPython(partition_audit_log, migrations.RunPython.noop, elidable=False),
    ]
