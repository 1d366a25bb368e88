from __future__ import annotations

from typing import Any

from django.db import migrations


def deactivate_ownerless_seeded(apps: Any, schema_editor: Any) -> None:
    """Seeded systems without an owner wait, inactive, for the Admin: a task for nobody would
    stop every request."""
    System = apps.get_model("processing", "System")
    System.objects.filter(seed_key__isnull=False, owner__isnull=True).update(active=False)


class Migration(migrations.Migration):
    dependencies = [("processing", "0006_seed_systems")]

    operations = [migrations.RunPython(deactivate_ownerless_seeded, migrations.RunPython.noop)]
