"""Subscriptions asked for wait in `PendingSubscription` (encrypted) until their link is
followed; the rule `pending-subscriptions-7d` deletes them when the link has expired."""

import core.fields
import django.utils.timezone
from django.db import migrations, models


def seed(apps, schema_editor):
    from consent.seed import seed_evidence_rule

    seed_evidence_rule(apps)


class Migration(migrations.Migration):

    dependencies = [
        ('consent', '0004_refuse_truncate'),
        ('retention', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='PendingSubscription',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('email', core.fields.EncryptedEmailField(blank=True, max_length=254, null=True, verbose_name='e-mail')),
                ('email_index', core.fields.BlindIndexField(blank=True, db_index=True, editable=False, max_length=64, normaliser='email', null=True, source='email')),
                ('name', core.fields.EncryptedTextField(blank=True, max_length=200, null=True, verbose_name='name')),
                ('purpose_ids', models.JSONField(default=list, verbose_name='purposes')),
                ('wording', models.TextField(verbose_name='wording shown')),
                ('language', models.CharField(blank=True, max_length=10, verbose_name='language')),
                ('nonce', models.CharField(blank=True, max_length=43)),
                ('requested_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='asked at')),
                ('confirmed_at', models.DateTimeField(blank=True, null=True, verbose_name='confirmed at')),
            ],
            options={
                'verbose_name': 'pending subscription',
                'verbose_name_plural': 'pending subscriptions',
            },
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
