from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    """The prospect rule's "no demo since the cutoff" (`ProspectData.expired`) as an index on
    the demo's day: PostgreSQL plans that anti-join as one pass over the demos held since the
    cutoff, which without this index is a scan of every demo for every purge batch — 82 ms a
    batch at a million people, 200 batches (EXPLAIN ANALYZE, bench/purge.py); with it, an
    index-only probe of the few recent demos (0.07 ms)."""

    dependencies = [("retention", "0006_purge_pause")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS retention_demo_recent "
            "ON subjects_demo (held_on, subject_id)",
            "DROP INDEX IF EXISTS retention_demo_recent",
        ),
    ]
