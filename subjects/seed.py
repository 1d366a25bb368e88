"""The policy's retention rules for this app's records, seeded by code.

Idempotent (see `retention.seeding`). Only `apps.get_model` is used, so data migrations can
call it too.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop as N_

from retention.seeding import seed_rules

RULES: list[dict[str, Any]] = [
    {
        "code": "prospects-1y",
        "name": N_("Prospect data: 1 year"),
        "record_type": "subjects.prospect",
        "anchor": "prospect_latest",
        "period_years": 1,
        "action": "anonymise",
        "legal_reference": (
            "Privacy policy, retention of prospects' data: 1 year after the trial, the demo "
            "or the collection for marketing; GDPR Art. 5(1)(e)"
        ),
        "description": (
            "Only while the company is a prospect (status prospect, trial or demo); a running "
            "trial blocks it; a company that becomes a paying client ends it."
        ),
    },
    {
        "code": "trial-content-75d",
        "name": N_("Trial content: 75 days"),
        "record_type": "subjects.trial_content",
        "anchor": "trial_end",
        "period_days": 75,
        "action": "delete",
        "legal_reference": (
            "Privacy policy: trial content is kept 75 days after the trial ends, unless agreed "
            "otherwise"
        ),
        "description": (
            "Kept so that it is there if the trial client moves to a paid plan; a per-trial "
            "agreement replaces the 75 days; a converted trial's content is client content."
        ),
    },
    {
        "code": "invoices-7y",
        "name": N_("Invoice data: 7 years after the financial year"),
        "record_type": "subjects.invoice",
        "anchor": "financial_year_end",
        "period_years": 7,
        "action": "anonymise",
        "legal_reference": (
            "Estonian Accounting Act § 12 (source documents kept 7 years from the end of the "
            "financial year); Taxation Act — a minimum"
        ),
        "description": "Billing name, e-mail and address go; number, date and amount stay.",
    },
    {
        "code": "claims-10y",
        "name": N_("Claims: 10 years after falling due"),
        "record_type": "subjects.claim",
        "anchor": "claim_fell_due",
        "period_years": 10,
        "action": "anonymise",
        "legal_reference": (
            "Privacy policy; Estonian Civil Code (General Part) § 146(4): at most 10 years "
            "from the day the claim fell due (intentional breach)"
        ),
        "description": "Only closed claims; an open claim keeps everything linked to it.",
    },
    {
        "code": "former-clients",
        "name": N_("Former clients' other data"),
        "record_type": "subjects.former_client",
        "anchor": "contract_end",
        "period_years": 3,
        "action": "anonymise",
        "legal_reference": (
            "The policy names no period. Proposed: the general 3-year limitation period "
            "(Estonian Civil Code (General Part) § 146(1)); the DPO sets and confirms it"
        ),
        "description": (
            "Usage records, communications, photos and contact details of a former client's "
            "people after the contract ended. A finding until the DPO confirms it."
        ),
        "confirmed": False,
    },
    {
        "code": "erasure-requests",
        "name": N_("Erasure on request, once no claim keeps the data"),
        "record_type": "subjects.erasure_requested",
        "anchor": "erasure_requested",
        "period_days": 1,
        "action": "anonymise",
        "legal_reference": (
            "GDPR Art. 17(1) and 17(3)(e): erased without undue delay, except while a claim "
            "needs the data"
        ),
        "description": (
            "People who asked for erasure and whom a kept claim still held are erased by the "
            "first nightly purge after the claim goes."
        ),
    },
    {
        "code": "former-users",
        "name": N_("Former users and other people"),
        "record_type": "subjects.former_user",
        "anchor": "last_activity",
        "period_years": 3,
        "action": "anonymise",
        "legal_reference": (
            "The policy names no period. Proposed: the general 3-year limitation period "
            "(Estonian Civil Code (General Part) § 146(1)); the DPO sets and confirms it"
        ),
        "description": (
            "People of kind 'other' with no client behind them, above all former users: their "
            "data goes after their last activity. A finding until the DPO confirms it."
        ),
        "confirmed": False,
    },
]


def seed_policy(apps: Any) -> None:
    seed_rules(apps, RULES)
