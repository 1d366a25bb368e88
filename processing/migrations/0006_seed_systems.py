from __future__ import annotations

from typing import Any

from django.db import migrations


def seed(apps: Any, schema_editor: Any) -> None:
    from processing.systems_seed import seed_systems

    seed_systems(apps)


class Migration(migrations.Migration):
    dependencies = [("processing", "0005_system")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
