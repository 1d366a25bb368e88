from __future__ import annotations

from typing import Any

from django.db import migrations


def seed(apps: Any, schema_editor: Any) -> None:
    from subjects.seed import seed_policy

    seed_policy(apps)


class Migration(migrations.Migration):
    """The rule that erases, once their claim goes, people who asked for erasure."""

    dependencies = [("subjects", "0005_restriction_ground_and_erasure_request")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
