from __future__ import annotations

from typing import Any

from django.db import migrations


def seed(apps: Any, schema_editor: Any) -> None:
    # The rules of the subjects app's records are seeded by that app (`subjects/seed.py`,
    # migration subjects 0004): each app seeds the rules of its own records.
    pass


class Migration(migrations.Migration):
    dependencies = [
        ("retention", "0001_initial"),
        ("subjects", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        # The prospect rule's cutoff on collection time, over people not yet anonymised:
        # the nightly steady state reads only the few rows near the boundary.
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS retention_subject_collected_live "
            "ON subjects_datasubject (collected_at) WHERE anonymised_at IS NULL",
            "DROP INDEX IF EXISTS retention_subject_collected_live",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS retention_trial_org_end "
            "ON subjects_trial (organisation_id, ended_on)",
            "DROP INDEX IF EXISTS retention_trial_org_end",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS retention_demo_subject_held "
            "ON subjects_demo (subject_id, held_on)",
            "DROP INDEX IF EXISTS retention_demo_subject_held",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS retention_claim_live_subject "
            "ON subjects_claim (subject_id) WHERE anonymised_at IS NULL",
            "DROP INDEX IF EXISTS retention_claim_live_subject",
        ),
    ]
