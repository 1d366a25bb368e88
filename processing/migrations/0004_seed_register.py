from __future__ import annotations

from typing import Any

from django.db import migrations


def seed(apps: Any, schema_editor: Any) -> None:
    from processing.seed import seed_policy

    seed_policy(apps)


class Migration(migrations.Migration):
    dependencies = [("processing", "0003_balancing_test_parts_and_document_reference")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
