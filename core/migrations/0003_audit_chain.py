"""The audit log becomes a hash chain: events already stored are chained in the order they
were written (by id), then every new event is linked by `core.chain.insert_chained`."""

from __future__ import annotations

from typing import Any

import django.utils.timezone
from django.db import migrations, models

from core.appendonly import refuse_truncate_trigger
from core.chain import GENESIS_HASH, HEAD_FUNCTION_SQL, EventContent, content_hash, link_hash

# Rows hashed and written per statement: one UPDATE … FROM (VALUES …) of 2 000 rows takes
# ~40 ms here, so a million existing events chain in well under a minute.
BATCH = 2000


def chain_existing_events(apps: Any, schema_editor: Any) -> None:
    AuditEvent = apps.get_model("core", "AuditEvent")
    connection = schema_editor.connection
    postgres = connection.vendor == "postgresql"
    if postgres:
        # The migration runs as the table's owner, the one role that may lift the trigger;
        # it is back before this transaction commits.
        schema_editor.execute('ALTER TABLE "core_auditevent" DISABLE TRIGGER "core_auditevent_append_only"')
    cast = "::bigint" if postgres else ""
    sequence, prev_hash, last_id = 0, GENESIS_HASH, 0
    while True:
        rows = list(
            AuditEvent.objects.filter(id__gt=last_id)
            .order_by("id")
            .values_list(
                "id", "occurred_at", "actor_id", "actor_label", "action", "target_type",
                "target_id", "details", "ip_address",
            )[:BATCH]
        )
        if not rows:
            break
        values: list[Any] = []
        for row in rows:
            sequence += 1
            digest = link_hash(sequence, content_hash(EventContent(*row[1:])), prev_hash)
            values += [row[0], sequence, prev_hash, digest]
            prev_hash = digest
        placeholders = ", ".join(f"(%s{cast}, %s{cast}, %s, %s)" for _ in rows)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE core_auditevent SET sequence = v.seq, prev_hash = v.prev, hash = v.hash "
                f"FROM (VALUES {placeholders}) AS v(id, seq, prev, hash) "
                "WHERE core_auditevent.id = v.id",
                values,
            )
        last_id = rows[-1][0]
    if postgres:
        schema_editor.execute('ALTER TABLE "core_auditevent" ENABLE TRIGGER "core_auditevent_append_only"')


def install_head_function(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(HEAD_FUNCTION_SQL, params=None)


def drop_head_function(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS privacyops_audit_head()")


class Migration(migrations.Migration):
    dependencies = [("core", "0002_seed_roles")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(null=True, editable=False, verbose_name="sequence"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="previous hash"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="hash"),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing_events, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(editable=False, unique=True, verbose_name="sequence"),
        ),
        migrations.RunPython(install_head_function, drop_head_function, elidable=False),
        refuse_truncate_trigger("core_auditevent"),
        migrations.CreateModel(
            name="AuditVerification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("checked_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="checked at")),
                ("intact", models.BooleanField(verbose_name="intact")),
                ("events_checked", models.PositiveBigIntegerField(verbose_name="events checked")),
                ("head_sequence", models.PositiveBigIntegerField(verbose_name="last intact event")),
                ("head_hash", models.CharField(max_length=64, verbose_name="its hash")),
                ("broken_at", models.PositiveBigIntegerField(blank=True, null=True, verbose_name="first broken link")),
                ("problem", models.CharField(blank=True, max_length=300, verbose_name="problem")),
                ("actor_label", models.CharField(max_length=100, verbose_name="run by")),
            ],
            options={
                "verbose_name": "audit log verification",
                "verbose_name_plural": "audit log verifications",
                "ordering": ["-checked_at", "-id"],
            },
        ),
    ]
