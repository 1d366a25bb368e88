"""Writes of the consent app. Import from here: `from consent.services import withdraw_consent`."""

from __future__ import annotations

from consent.services.bulk import WithdrawalOutcome, withdraw_consents
from consent.services.ledger import (
    LogOutcome,
    grant_consent,
    log_withdrawal_or_objection,
    object_to_processing,
    policy_in_force,
    record_unsubscribe,
    withdraw_consent,
)
from consent.services.notices import (
    information_notice_due,
    information_notices_overdue,
    publish_policy_version,
    send_information_notices,
    send_policy_notices,
)
from consent.services.objections import (
    decide_objection,
    erase_objecting_prospect,
    set_suppressed_import_policy,
    suppress_email,
)
from consent.services.subscription import (
    confirm_subscription,
    request_subscription,
)

__all__ = [
    "LogOutcome",
    "WithdrawalOutcome",
    "confirm_subscription",
    "decide_objection",
    "erase_objecting_prospect",
    "grant_consent",
    "information_notice_due",
    "information_notices_overdue",
    "log_withdrawal_or_objection",
    "object_to_processing",
    "policy_in_force",
    "publish_policy_version",
    "record_unsubscribe",
    "request_subscription",
    "send_information_notices",
    "send_policy_notices",
    "set_suppressed_import_policy",
    "suppress_email",
    "withdraw_consent",
    "withdraw_consents",
]
