"""The evidence's file name is encrypted like the file: no personal text in clear."""

from __future__ import annotations

from django.db import migrations

import core.fields
from core.column_encryption import encrypt_in_place


class Migration(migrations.Migration):
    dependencies = [("consent", "0005_pending_subscription")]

    operations = [
        migrations.AlterField(
            model_name="consentevidence",
            name="file_name",
            field=core.fields.EncryptedStringField(
                blank=True, default="", max_length=200, null=True, verbose_name="file name"
            ),
        ),
        encrypt_in_place("consent", "ConsentEvidence", "file_name"),
    ]
