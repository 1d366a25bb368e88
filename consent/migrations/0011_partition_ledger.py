"""On PostgreSQL the consent ledger becomes a table partitioned by month of `recorded_at`
(`core.partitions`). A foreign key into a partitioned table must name a unique key holding
the partition key, so evidence and objection reviews point at their event without one: a
trigger refuses an event id that does not exist, and the ledger refuses DELETE and TRUNCATE,
so none goes away later. SQLite keeps its plain table and its foreign keys.

Not reversible on PostgreSQL: the partitioned table serves the earlier code as it is."""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

from core.partitions import convert_to_partitions, link_without_constraint

LEDGER = "consent_consentevent"


def link_by_trigger(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ("consent_consentevidence", "consent_objectionreview"):
        link_without_constraint(schema_editor, table, "event_id", LEDGER)


def partition_ledger(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    convert_to_partitions(schema_editor, LEDGER, now=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0010_subscription_rule_in_words"),
        ("core", "0009_partition_audit_log"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="consentevidence",
                    name="event",
                    field=models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="evidence",
                        to="consent.consentevent",
                    ),
                ),
                migrations.AlterField(
                    model_name="objectionreview",
                    name="event",
                    field=models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="objection_review",
                        to="consent.consentevent",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(link_by_trigger, migrations.RunPython.noop, elidable=False),
            ],
        ),
        migrations.RunPython(partition_ledger, migrations.RunPython.noop, elidable=False),
    ]
