from __future__ import annotations

from typing import Any

from django.db import migrations


def seed_roles(apps: Any, schema_editor: Any) -> None:
    from core.seed import seed_roles as seed

    seed(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed_roles, migrations.RunPython.noop)]
