"""Seed the policy version in force since 25.05.2018 and the DPO's consent settings.

Idempotent: rows are matched by version name / primary key and never overwritten.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

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
