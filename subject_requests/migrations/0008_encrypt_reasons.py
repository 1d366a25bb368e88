"""The reasons written to a requester are encrypted: no personal text in clear."""

from __future__ import annotations

from django.db import migrations

import core.fields
from core.column_encryption import encrypt_in_place

REASONS = {
    "closure_reason": "reason or outcome",
    "extension_reason": "reason for the extension",
    "refused_part": "what was refused, and why",
    "systems_override": "why completed with system tasks open",
}


class Migration(migrations.Migration):
    dependencies = [("subject_requests", "0007_system_tasks")]

    operations = [
        *(
            migrations.AlterField(
                model_name="subjectrequest",
                name=name,
                field=core.fields.EncryptedStringField(
                    blank=True, default="", null=True, verbose_name=label
                ),
            )
            for name, label in REASONS.items()
        ),
        encrypt_in_place("subject_requests", "SubjectRequest", *REASONS),
    ]
