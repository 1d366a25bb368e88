"""The consent ledger and the suppression list refuse TRUNCATE on PostgreSQL, as they already
refuse UPDATE and DELETE (append-only on every path, whole-table ones included)."""

from __future__ import annotations

from django.db import migrations

from core.appendonly import refuse_truncate_trigger


class Migration(migrations.Migration):
    dependencies = [("consent", "0003_seed_evidence_rule")]

    operations = [
        refuse_truncate_trigger("consent_consentevent"),
        refuse_truncate_trigger("consent_suppressionentry"),
    ]
