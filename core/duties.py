"""Separation of duties, stated once: where the portal has more than one DPO, a decision that
needs a second pair of eyes (confirming an erasure, confirming a retention-rule change) is not
taken by a user who set it in motion (entered the request, proposed the erasure or the change).
With a single DPO there is no second pair of eyes to ask for; the audit records that."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from core.permissions import DPO, holding_role


def dpo_count() -> int:
    """Active users holding the DPO role."""
    return get_user_model().objects.filter(holding_role(DPO), is_active=True).distinct().count()


def second_pair_of_eyes_refusal(*, actor: Any, involved: Iterable[Any]) -> str | None:
    """None when `actor` may confirm; else the refusal. `involved` are the users who entered
    or proposed what is being confirmed (None entries are ignored: a job, a requester)."""
    actor_pk = getattr(actor, "pk", None)
    if actor_pk is None:
        return None
    if not any(getattr(user, "pk", user) == actor_pk for user in involved if user is not None):
        return None
    if dpo_count() <= 1:
        return None
    return _(
        "Another DPO must confirm this: you entered or proposed it, and the portal has more "
        "than one DPO (separation of duties)."
    )


def sole_dpo() -> bool:
    return dpo_count() <= 1
