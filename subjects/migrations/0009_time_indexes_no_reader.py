"""The indexes on a message's and a use's time alone go: no query reads them. Every reader
asks for one person's rows, through the (subject, time) indexes; only the admin's list of
every message sorts by time alone, and it counts the whole table anyway.

Each costs every insert, and each purge batch most: the anonymised rows' new versions enter
an index whose neighbours are the versions the previous batches left dead, and PostgreSQL
checks those against the table before it will split a page. Measured on 100 000 expired
prospects (bench/purge.py, batches of 20 000): messages 1.03 s and usage 0.88 s before,
0.71 s and 0.64 s without, the one-statement raw SQL 0.83 s and 0.72 s with them.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('subjects', '0008_external_id'),
    ]

    operations = [
        migrations.AlterField(
            model_name='communication',
            name='sent_at',
            field=models.DateTimeField(verbose_name='sent at'),
        ),
        migrations.AlterField(
            model_name='usagerecord',
            name='occurred_at',
            field=models.DateTimeField(verbose_name='occurred at'),
        ),
    ]
