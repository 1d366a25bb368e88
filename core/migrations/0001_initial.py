from __future__ import annotations

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import migrations, models

from core.appendonly import append_only_trigger


class Migration(migrations.Migration):
    initial = True

    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("occurred_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="when")),
                ("actor_label", models.CharField(blank=True, max_length=100, verbose_name="actor label")),
                ("action", models.CharField(db_index=True, max_length=100, verbose_name="action")),
                ("target_type", models.CharField(blank=True, max_length=100, verbose_name="target type")),
                ("target_id", models.CharField(blank=True, max_length=64, verbose_name="target id")),
                ("details", models.JSONField(blank=True, default=dict, encoder=DjangoJSONEncoder, verbose_name="details")),
                ("ip_address", models.GenericIPAddressField(blank=True, null=True, verbose_name="IP address")),
                ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="actor")),
            ],
            options={
                "verbose_name": "audit event",
                "verbose_name_plural": "audit events",
                "ordering": ["-occurred_at", "-id"],
                "indexes": [models.Index(fields=["target_type", "target_id", "-occurred_at"], name="core_audit_target_idx")],
            },
        ),
        append_only_trigger("core_auditevent"),
    ]
