"""Seed the policy version in force since 25.05.2018, the DPO's consent settings and the
retention rule for consent evidence.

Idempotent: rows are matched by version name / primary key and never overwritten.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_noop as N_

from consent.emails import SUBSCRIBE_LINK_DAYS
from retention.seeding import seed_rules

POLICY_TEXT = Path(__file__).resolve().parent / "policy" / "privacy-policy.lv.txt"
FIRST_VERSION = "2018-05-25"
# The day the GDPR applied and the original (Latvian) policy took effect.
FIRST_EFFECTIVE_ON = dt.date(2018, 5, 25)


def seed_policy(apps: Any) -> None:
    PolicyVersion = apps.get_model("consent", "PolicyVersion")
    ConsentSettings = apps.get_model("consent", "ConsentSettings")
    if not PolicyVersion.objects.filter(version=FIRST_VERSION).exists():
        PolicyVersion.objects.create(
            version=FIRST_VERSION,
            summary="The privacy policy in force since the GDPR applied (Latvian original).",
            full_text=POLICY_TEXT.read_text(encoding="utf-8"),
            effective_on=FIRST_EFFECTIVE_ON,
            published_at=dt.datetime(2018, 5, 25, tzinfo=dt.UTC),
            notice_status="not_queued",
        )
    ConsentSettings.objects.get_or_create(pk=1)
    seed_evidence_rule(apps)


EVIDENCE_RULE: dict[str, Any] = {
    "code": "consent-evidence-3y",
    "name": N_("Consent evidence: 3 years after the person was anonymised"),
    "record_type": "consent.evidence",
    "anchor": "subject_anonymised",
    "period_years": 3,
    "action": "anonymise",
    "legal_reference": (
        "GDPR Art. 7(1) (demonstrate consent) for the general 3-year limitation period "
        "(Estonian Civil Code (General Part) § 146(1)); the ledger event itself stays"
    ),
    "description": "The note or file behind a ledger event goes; the event stays.",
}


REVIEW_RULE: dict[str, Any] = {
    **EVIDENCE_RULE,
    "code": "consent-objection-review-3y",
    "name": N_("Objection reviews: reasoning 3 years after the person was anonymised"),
    "record_type": "consent.objection_review",
    "description": "The DPO's written reasoning goes; the decision and its date stay.",
}


PENDING_SUBSCRIPTION_RULE: dict[str, Any] = {
    "code": "pending-subscriptions-7d",
    "name": N_("Subscriptions asked for: 7 days, the life of the confirmation link"),
    "record_type": "consent.pending_subscription",
    "anchor": "subscription_requested",
    "period_days": SUBSCRIBE_LINK_DAYS,
    "action": "delete",
    "legal_reference": (
        "GDPR Art. 5(1)(c) and (e): an address nobody confirmed is kept only while its "
        f"confirmation link works ({SUBSCRIBE_LINK_DAYS} days)"
    ),
    "description": "The request and its encrypted address and name go; nothing stays.",
}


CSV_IMPORT_RULE: dict[str, Any] = {
    "code": "csv-imports-30d",
    "name": N_("CSV imports: 30 days after the upload"),
    "record_type": "consent.csv_import",
    "anchor": "import_uploaded",
    "period_days": 30,
    "action": "delete",
    "legal_reference": (
        "GDPR Art. 5(1)(c) and (e): the file's data now lives in the people's records and the "
        "ledger; the import is kept a month to answer questions about it"
    ),
    "description": "The import, its file if never applied, its dry run and result go.",
}


def seed_evidence_rule(apps: Any) -> None:
    seed_rules(apps, [EVIDENCE_RULE, REVIEW_RULE, PENDING_SUBSCRIPTION_RULE, CSV_IMPORT_RULE])
