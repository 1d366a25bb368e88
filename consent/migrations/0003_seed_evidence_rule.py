from __future__ import annotations

from typing import Any

from django.db import migrations


def seed(apps: Any, schema_editor: Any) -> None:
    from consent.seed import seed_evidence_rule

    seed_evidence_rule(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0002_seed_policy"),
        ("retention", "0001_initial"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
