"""The erasure ledger: append-only like the audit log and the consent
ledger, so on PostgreSQL triggers refuse UPDATE, DELETE and TRUNCATE of it."""

import django.utils.timezone
import uuid
from django.db import migrations, models

from core.appendonly import append_only_trigger, refuse_truncate_trigger


class Migration(migrations.Migration):

    dependencies = [
        ('retention', '0003_prospect_candidate_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='ErasureEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name='entry')),
                ('recorded_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='recorded at')),
                ('source', models.CharField(choices=[('purge', 'Retention purge'), ('erasure', 'Erasure on request or objection')], max_length=20, verbose_name='source')),
                ('record_type', models.CharField(max_length=100, verbose_name='record type')),
                ('action', models.CharField(choices=[('anonymise', 'Anonymise'), ('delete', 'Delete'), ('defer', 'Out of use; erased when nothing keeps it')], max_length=20, verbose_name='action')),
                ('rule_code', models.CharField(blank=True, max_length=60, verbose_name='rule')),
                ('reason', models.CharField(max_length=300, verbose_name='reason')),
                ('purge_run', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='purge run')),
                ('object_ids', models.TextField(verbose_name='primary record ids')),
            ],
            options={
                'verbose_name': 'erasure ledger entry',
                'verbose_name_plural': 'erasure ledger',
                'ordering': ['recorded_at', 'id'],
            },
        ),
        append_only_trigger("retention_erasureentry"),
        refuse_truncate_trigger("retention_erasureentry"),
    ]
