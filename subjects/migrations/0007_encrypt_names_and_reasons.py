"""Names, position and every free-text reason are encrypted (a dump of the database
must show no surname); names get their search tokens (`subjects.models.names`).

Forwards: the two partial indexes of held people and organisations are dropped (their
predicate compared the reason with ''), the columns become encrypted text (blank stored as
NULL), the existing values are encrypted in place, the indexes come back with `IS NOT NULL`
(with those SQLite's table copy lost), and each person's name tokens are built from the
names. Backwards, the same in reverse: the
values are decrypted before the columns become plain text again.
"""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

import core.fields
from core.column_encryption import encrypt_in_place
from core.crypto import name_token_digests

PERSONAL_TEXT: dict[str, dict[str, dict[str, Any]]] = {
    "datasubject": {
        "first_name": {"max_length": 100, "verbose_name": "first name"},
        "last_name": {"max_length": 100, "verbose_name": "last name"},
        "position": {"max_length": 150, "verbose_name": "position"},
        "restriction_reason": {"verbose_name": "restriction reason"},
        "erasure_flag_reason": {"max_length": 200, "verbose_name": "erasure flag reason"},
        "legal_hold_reason": {"verbose_name": "legal hold reason"},
    },
    "organisation": {"legal_hold_reason": {"verbose_name": "legal hold reason"}},
    "trialcontent": {"title": {"max_length": 200, "verbose_name": "title"}},
}
MODEL_NAMES = {
    "datasubject": "DataSubject",
    "organisation": "Organisation",
    "trialcontent": "TrialContent",
}

HELD_INDEXES = {
    "retention_subject_held": (
        "subjects_datasubject (id) WHERE legal_hold_reason {} OR restricted_at IS NOT NULL"
    ),
    "retention_organisation_held": "subjects_organisation (id) WHERE legal_hold_reason {}",
}
CLEAR_HOLD, ENCRYPTED_HOLD = "<> ''", "IS NOT NULL"
# SQLite alters a column by copying the table, which loses the indexes `retention` made with
# plain SQL on these tables: they are made again (IF NOT EXISTS: PostgreSQL kept them).
RETENTION_INDEXES = [
    "CREATE INDEX IF NOT EXISTS retention_subject_kind_collected_live "
    "ON subjects_datasubject (kind, collected_at) WHERE anonymised_at IS NULL",
    "CREATE INDEX IF NOT EXISTS retention_trial_org_end "
    "ON subjects_trial (organisation_id, ended_on)",
]
BATCH_SIZE = 2000


def _create(predicate: str) -> list[str]:
    return [
        f"CREATE INDEX IF NOT EXISTS {name} ON {table.format(predicate)}"
        for name, table in HELD_INDEXES.items()
    ] + RETENTION_INDEXES


DROP_HELD = [f"DROP INDEX IF EXISTS {name}" for name in HELD_INDEXES]


def build_name_tokens(apps: Any, schema_editor: Any) -> None:
    DataSubject = apps.get_model("subjects", "DataSubject")
    NameToken = apps.get_model("subjects", "NameToken")
    db = schema_editor.connection.alias
    last = 0
    while True:
        rows = list(
            DataSubject.objects.using(db)
            .filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "first_name", "last_name")[:BATCH_SIZE]
        )
        if not rows:
            return
        NameToken.objects.using(db).bulk_create(
            NameToken(subject_id=pk, part=part, digest=digest)
            for pk, first, last_name in rows
            for part, value in ((1, first), (2, last_name))
            for digest in name_token_digests(value)
        )
        last = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("subjects", "0006_seed_erasure_requests_rule"),
        ("retention", "0003_prospect_candidate_index"),
    ]

    operations = [
        migrations.RunSQL(DROP_HELD, _create(CLEAR_HOLD)),
        migrations.AlterModelOptions(
            name="datasubject",
            options={
                "ordering": ["id"],
                "verbose_name": "data subject",
                "verbose_name_plural": "data subjects",
            },
        ),
        *(
            migrations.AlterField(
                model_name=model,
                name=name,
                field=core.fields.EncryptedStringField(
                    blank=True, default="", null=True, **options
                ),
            )
            for model, fields in PERSONAL_TEXT.items()
            for name, options in fields.items()
        ),
        *(
            encrypt_in_place("subjects", MODEL_NAMES[model], *fields)
            for model, fields in PERSONAL_TEXT.items()
        ),
        migrations.RunSQL(_create(ENCRYPTED_HOLD), DROP_HELD),
        migrations.CreateModel(
            name="NameToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "part",
                    models.PositiveSmallIntegerField(
                        choices=[(1, "first name"), (2, "last name")],
                        verbose_name="part of the name",
                    ),
                ),
                ("digest", models.CharField(max_length=64, verbose_name="blind index of the word")),
                (
                    "subject",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="name_tokens",
                        to="subjects.datasubject",
                    ),
                ),
            ],
            options={
                "verbose_name": "name token",
                "indexes": [
                    models.Index(fields=["digest", "subject"], name="subjects_nametoken_search")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("subject", "part", "digest"), name="subjects_nametoken_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(build_name_tokens, migrations.RunPython.noop, elidable=False),
    ]
