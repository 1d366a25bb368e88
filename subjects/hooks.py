"""Where apps above this one plug their rules into the people's writes and reads.

The layering is `core` ← `retention` ← `processing` ← `subjects` ← `consent` ←
`subject_requests`: an app imports only apps to its left. The consent app owns the ledger
and the suppression list, yet a person's creation must refuse a suppressed
address. So consent registers its functions here from its `AppConfig.ready()`, and this app
calls whatever is registered. "Who may be marketed" is not among them: only consent asks it,
of its own selector (`consent.selectors.marketable_filter`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from typing import Any, Protocol

from core.audit import Actor


class AfterCreate(Protocol):
    def __call__(self, *, subjects: Sequence[Any], actor: Actor) -> object: ...


class AfterErase(Protocol):
    # `cause`: what started the erasure — "request" (the request workflow reaches the
    # systems itself), "objection", "erasure" (the operator), or the purge's record type code.
    def __call__(self, *, subject_ids: list[int], now: dt.datetime, cause: str) -> object: ...


# Each takes work e-mails about to be stored and returns the refusal messages of those it
# refuses (absent: clear). A set of addresses at once, so a bulk import asks once, not per row.
EmailCheck = Callable[[Collection[str]], dict[str, list[str]]]
email_checks: list[EmailCheck] = []
# Called inside `create_subject`'s (or a bulk upsert's) transaction, once the people are stored.
after_create: list[AfterCreate] = []

# Called inside the transaction that erases people (on request or by the nightly purge), with
# the ids about to be erased: the request workflow sends then what it deferred.
after_erase: list[AfterErase] = []
# Called there too with the ids of people a kept claim keeps, about to lose what the claim
# does not need (`subjects.anonymisation.CLAIM_UNNEEDED`): stored copies showing it go.
after_minimise: list[AfterErase] = []


def register_email_check(check: EmailCheck) -> None:
    if check not in email_checks:
        email_checks.append(check)


def register_after_create(hook: AfterCreate) -> None:
    if hook not in after_create:
        after_create.append(hook)


def register_after_erase(hook: AfterErase) -> None:
    if hook not in after_erase:
        after_erase.append(hook)


def register_after_minimise(hook: AfterErase) -> None:
    if hook not in after_minimise:
        after_minimise.append(hook)
