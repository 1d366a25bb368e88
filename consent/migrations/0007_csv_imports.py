"""CSV imports; the rule `csv-imports-30d` deletes them a month on."""

import core.fields
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def seed(apps, schema_editor):
    from consent.seed import seed_evidence_rule

    seed_evidence_rule(apps)


class Migration(migrations.Migration):

    dependencies = [
        ('consent', '0006_encrypt_evidence_file_name'),
        ('processing', '0007_seeded_systems_wait_for_an_owner'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CsvImport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('prospects', 'People (prospects, from a list or the platform)'), ('withdrawals', 'Withdrawals of consent (from a marketing tool)')], max_length=20, verbose_name='kind')),
                ('status', models.CharField(choices=[('uploaded', 'Uploaded: map the columns'), ('checking', 'Dry run in progress'), ('checked', 'Dry run done: confirm to apply'), ('applying', 'Applying'), ('applied', 'Applied'), ('failed', 'Failed')], default='uploaded', max_length=20, verbose_name='status')),
                ('file_name', core.fields.EncryptedStringField(blank=True, default='', max_length=200, null=True, verbose_name='file name')),
                ('content', core.fields.EncryptedBinaryField(blank=True, null=True, verbose_name='file')),
                ('headers', models.JSONField(default=list, verbose_name='columns')),
                ('mapping', models.JSONField(default=dict, verbose_name='mapping')),
                ('defaults', models.JSONField(default=dict, verbose_name='defaults')),
                ('total_rows', models.PositiveIntegerField(default=0, verbose_name='rows')),
                ('processed_rows', models.PositiveIntegerField(default=0, verbose_name='rows processed')),
                ('counts', models.JSONField(default=dict, verbose_name='counts')),
                ('plan', core.fields.EncryptedJSONField(blank=True, null=True, verbose_name='dry run')),
                ('result', core.fields.EncryptedJSONField(blank=True, null=True, verbose_name='result')),
                ('error', models.CharField(blank=True, max_length=300, verbose_name='error')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='uploaded at')),
                ('checked_at', models.DateTimeField(blank=True, null=True, verbose_name='dry run at')),
                ('applied_at', models.DateTimeField(blank=True, null=True, verbose_name='applied at')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('purpose', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='processing.purpose', verbose_name='purpose')),
            ],
            options={
                'verbose_name': 'CSV import',
                'verbose_name_plural': 'CSV imports',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
