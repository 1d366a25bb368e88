"""Seeded policy of the requests app: the retention rule for requests' own data.

Idempotent like every seed: an existing rule (perhaps changed and confirmed by the DPO) is
never overwritten. Only `apps.get_model` is used, so the data migration calls it too.
"""

from __future__ import annotations

from typing import Any

from retention.seeding import seed_rules

REQUESTS_RULE: dict[str, Any] = {
    "code": "requests-3y",
    "name": "Data-subject requests: 3 years after closing",
    "record_type": "subject_requests.request",
    "anchor": "request_closed",
    "period_years": 3,
    "action": "anonymise",
    "legal_reference": (
        "GDPR Art. 5(2) (accountability) and 5(1)(e); kept for the general 3-year limitation "
        "period (Estonian Civil Code (General Part) § 146(1))"
    ),
    "description": (
        "The requester's identifiers and words go; reference, right, dates and outcome stay "
        "in the register of requests."
    ),
}


def seed_policy(apps: Any) -> None:
    seed_rules(apps, [REQUESTS_RULE])
