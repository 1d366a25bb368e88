"""The balancing test in its four parts, and the document behind an SCC or BCR transfer.

The old one-text balancing test is split: a seeded text nobody changed is replaced by the
seeded four-part assessment; any other text is split on its labels ("Interest:",
"Necessity:", "Balance:", "Safeguards:"), unlabelled text going to the balancing part so
nothing is lost. A part still empty then shows on the register page as a finding, and the
admin refuses to save the purpose until it is written. The seeded Australian storage gets its
SCC reference.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations, models

# The texts 0002 seeded, to recognise purposes nobody has edited.
SEEDED_BEFORE = {
    "service": (
        "Interest: the operator and the client need the platform to work for the people the "
        "client puts on it. Necessity: their name, work contact and usage are the least needed "
        "to run accounts and support them. Balance: work data only, expected by the person, "
        "no profiling beyond the service; they may object (Art. 21(1))."
    ),
    "prospect-marketing": (
        "Interest: marketing the platform to companies. Necessity: work contact of the company's "
        "people only (no date of birth, photo or address). Balance: B2B data in a professional "
        "context, so the interest is held to prevail; an objection is absolute (Art. 21(2)) and "
        "ends all marketing, with erasure of the prospect data."
    ),
    "legal-claims": (
        "Interest: establishing, exercising and defending legal claims. Necessity: only data "
        "linked to a claim, kept at most 10 years from the day it fell due. Balance: a "
        "recognised interest (Art. 17(3)(e), Art. 21(1)) limited to the claim."
    ),
}

LABELS = {
    "interest": "lia_purpose",
    "purpose": "lia_purpose",
    "necessity": "lia_necessity",
    "balance": "lia_balancing",
    "balancing": "lia_balancing",
    "safeguards": "lia_safeguards",
    "safeguard": "lia_safeguards",
}
LABEL = re.compile(r"\b(" + "|".join(LABELS) + r")\s*:", re.IGNORECASE)
PARTS = ("lia_purpose", "lia_necessity", "lia_balancing", "lia_safeguards")
TITLES = {
    "lia_purpose": "Interest",
    "lia_necessity": "Necessity",
    "lia_balancing": "Balance",
    "lia_safeguards": "Safeguards",
}


def parts_of(text: str) -> dict[str, str]:
    found: dict[str, list[str]] = {part: [] for part in PARTS}
    pieces = LABEL.split(text)
    if pieces[0].strip():
        found["lia_balancing"].append(pieces[0].strip())
    for label, body in zip(pieces[1::2], pieces[2::2], strict=True):
        if body.strip():
            found[LABELS[label.lower()]].append(body.strip())
    return {part: " ".join(texts) for part, texts in found.items()}


def split_balancing_tests(apps: Any, schema_editor: Any) -> None:
    from processing.seed import AU_SCC_REFERENCE, LEGITIMATE_INTEREST_ASSESSMENTS

    Purpose = apps.get_model("processing", "Purpose")
    for purpose in Purpose.objects.exclude(balancing_test=""):
        if SEEDED_BEFORE.get(purpose.code) == purpose.balancing_test:
            parts = LEGITIMATE_INTEREST_ASSESSMENTS[purpose.code]
        else:
            parts = parts_of(purpose.balancing_test)
        Purpose.objects.filter(pk=purpose.pk).update(**parts)

    Transfer = apps.get_model("processing", "Transfer")
    Transfer.objects.filter(
        processor__name="Cloud storage (Australia)",
        destination_country="AU",
        ground="scc",
        document_reference="",
    ).update(document_reference=AU_SCC_REFERENCE)


def join_balancing_tests(apps: Any, schema_editor: Any) -> None:
    Purpose = apps.get_model("processing", "Purpose")
    for purpose in Purpose.objects.all():
        text = " ".join(
            f"{TITLES[part]}: {getattr(purpose, part)}" for part in PARTS if getattr(purpose, part)
        )
        Purpose.objects.filter(pk=purpose.pk).update(balancing_test=text)


class Migration(migrations.Migration):
    dependencies = [("processing", "0002_seed_register")]

    operations = [
        migrations.AddField(
            model_name="purpose",
            name="lia_purpose",
            field=models.TextField(
                blank=True,
                help_text="Legitimate interest: which interest is pursued, and whose.",
                verbose_name="purpose test",
            ),
        ),
        migrations.AddField(
            model_name="purpose",
            name="lia_necessity",
            field=models.TextField(
                blank=True,
                help_text="Legitimate interest: why this processing, and no less, is needed.",
                verbose_name="necessity test",
            ),
        ),
        migrations.AddField(
            model_name="purpose",
            name="lia_balancing",
            field=models.TextField(
                blank=True,
                help_text=(
                    "Legitimate interest: why the person's interests, rights and freedoms do "
                    "not override it."
                ),
                verbose_name="balancing test",
            ),
        ),
        migrations.AddField(
            model_name="purpose",
            name="lia_safeguards",
            field=models.TextField(
                blank=True,
                help_text="Legitimate interest: what limits the effect on the person.",
                verbose_name="safeguards",
            ),
        ),
        migrations.AddField(
            model_name="transfer",
            name="document_reference",
            field=models.CharField(
                blank=True,
                help_text="SCC or BCR: the reference of the signed clauses or the approved rules.",
                max_length=200,
                verbose_name="document reference",
            ),
        ),
        migrations.RunPython(split_balancing_tests, join_balancing_tests),
        migrations.RemoveField(model_name="purpose", name="balancing_test"),
    ]
