from __future__ import annotations

from typing import Any

from django.db import migrations


def seed(apps: Any, schema_editor: Any) -> None:
    from subjects.seed import seed_policy

    seed_policy(apps)


class Migration(migrations.Migration):
    """The retention rules of this app's records, seeded by this app (the retention engine
    knows no domain app); adds the unconfirmed former-users rule to existing portals."""

    dependencies = [
        ("subjects", "0003_preferred_language"),
        ("retention", "0003_prospect_candidate_index"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
