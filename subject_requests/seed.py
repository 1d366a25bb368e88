"""Seeded policy of the requests app: the retention rule for requests' own data.

Idempotent like every seed: an existing rule (perhaps changed and confirmed by the DPO) is
never overwritten. Only `apps.get_model` is used, so the data migration calls it too.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop as N_

from retention.seeding import seed_rules

REQUESTS_RULE: dict[str, Any] = {
    "code": "requests-3y",
    "name": N_("Data-subject requests: 3 years after closing"),
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


ANSWERS_RULE: dict[str, Any] = {
    "code": "answers-3m",
    "name": N_("Answer documents: content 3 months after the request closed"),
    "record_type": "subject_requests.answer",
    "anchor": "request_closed",
    "period_months": 3,
    "action": "anonymise",
    "legal_reference": (
        "GDPR Art. 5(1)(c) and (e): a copy of the person's data, kept while they may still "
        "download it (a link lasts 14 days; a new one may be asked for); its SHA-256, dates and "
        "size stay as proof of what was sent (Art. 5(2))"
    ),
    "description": "The report, package or letter's content goes; what it was, when, stays.",
}


def seed_policy(apps: Any) -> None:
    seed_rules(apps, [REQUESTS_RULE, ANSWERS_RULE])
