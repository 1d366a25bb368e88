from __future__ import annotations

from typing import Any

from django.db import migrations


def seed(apps: Any, schema_editor: Any) -> None:
    from subject_requests.seed import seed_policy

    seed_policy(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("subject_requests", "0001_initial"),
        ("retention", "0001_initial"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
