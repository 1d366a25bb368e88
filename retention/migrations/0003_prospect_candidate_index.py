from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    """The prospect rule filters live people by kind and collection time: one partial index
    on both lets the nightly steady state read only the few rows near the boundary among a
    million (bench/purge.py --steady)."""

    dependencies = [("retention", "0002_seed_rules_and_indexes")]

    operations = [
        # Holds and restrictions are few: the purge looks them up on every batch.
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS retention_subject_held ON subjects_datasubject (id) "
            "WHERE legal_hold_reason <> '' OR restricted_at IS NOT NULL",
            "DROP INDEX IF EXISTS retention_subject_held",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS retention_organisation_held "
            "ON subjects_organisation (id) WHERE legal_hold_reason <> ''",
            "DROP INDEX IF EXISTS retention_organisation_held",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS retention_subject_kind_collected_live "
            "ON subjects_datasubject (kind, collected_at) WHERE anonymised_at IS NULL",
            "DROP INDEX IF EXISTS retention_subject_kind_collected_live",
        ),
        migrations.RunSQL(
            "DROP INDEX IF EXISTS retention_subject_collected_live",
            "CREATE INDEX IF NOT EXISTS retention_subject_collected_live "
            "ON subjects_datasubject (collected_at) WHERE anonymised_at IS NULL",
        ),
    ]
