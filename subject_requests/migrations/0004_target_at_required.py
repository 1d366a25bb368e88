"""The target is always set from here on, and the queue's indexes sort by it. A migration of
its own: PostgreSQL refuses to alter a table in the transaction that just updated its rows."""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("subject_requests", "0003_target_at")]

    operations = [
        migrations.AlterField(
            model_name="subjectrequest",
            name="target_at",
            field=models.DateTimeField(verbose_name="target"),
        ),
        migrations.AlterModelOptions(
            name="subjectrequest",
            options={
                "ordering": ["target_at", "id"],
                "verbose_name": "data-subject request",
                "verbose_name_plural": "data-subject requests",
            },
        ),
        migrations.RemoveIndex(model_name="subjectrequest", name="dsr_open_assignee_due"),
        migrations.RemoveIndex(model_name="subjectrequest", name="dsr_status_due"),
        migrations.AddIndex(
            model_name="subjectrequest",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ("received", "awaiting_identity", "verified", "in_progress"))
                ),
                fields=["target_at", "id"],
                name="dsr_open_target",
            ),
        ),
        migrations.AddIndex(
            model_name="subjectrequest",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ("received", "awaiting_identity", "verified", "in_progress"))
                ),
                fields=["assignee", "target_at", "id"],
                name="dsr_open_assignee_target",
            ),
        ),
        migrations.AddIndex(
            model_name="subjectrequest",
            index=models.Index(fields=["status", "target_at", "id"], name="dsr_status_target"),
        ),
    ]
