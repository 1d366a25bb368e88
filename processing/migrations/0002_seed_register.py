from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    """The register used to be seeded here. The seed now writes fields that 0003 adds, so
    0004 seeds it; a database that ran this step before keeps its rows, which 0003 converts."""

    dependencies = [("processing", "0001_initial")]

    operations: list[migrations.operations.base.Operation] = []
