"""Staff pages of the consent app. Plumbing only: validate, fetch, call one service, render."""

from __future__ import annotations

from consent.views.ledger import audience, ledger, ledger_csv
from consent.views.log import (
    evidence_file,
    find_person,
    grant_for_subject,
    log_for_subject,
    subject_consent,
    suppress_address,
)
from consent.views.notices import notices, policy_detail, policy_new
from consent.views.objections import objection_decide, objections, suppression

__all__ = [
    "audience",
    "evidence_file",
    "find_person",
    "grant_for_subject",
    "ledger",
    "ledger_csv",
    "log_for_subject",
    "notices",
    "objection_decide",
    "objections",
    "policy_detail",
    "policy_new",
    "subject_consent",
    "suppress_address",
    "suppression",
]
