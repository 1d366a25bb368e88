"""Withdrawals of consent in bulk: a marketing tool's unsubscribes, reported back or imported
as a CSV file. The same ledger rows and audit events as `withdraw_consent`, set-based: the
people by blind index in one query, their last event for the purpose in one, the new rows in
one INSERT per thousand, and one audit statement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.models import ConsentEvent, EventKind, PolicyVersion
from consent.services.ledger import GRANT_CLOCK_SKEW, policy_in_force
from consent.services.objections import actor_label, user_of
from core.audit import Actor, record_events_bulk
from core.crypto import blind_index
from core.timeutil import legal_date
from processing.models import Purpose
from subjects.models import DataSubject

# The API's batch; a CSV import calls this once per batch of this size.
MAX_ROWS = 10_000
INSERT_BATCH = 1000

WithdrawalAction = Literal["withdraw", "unchanged", "refuse"]
WITHDRAWAL_ACTIONS: tuple[WithdrawalAction, ...] = ("withdraw", "unchanged", "refuse")


@dataclass(frozen=True)
class WithdrawalOutcome:
    """Row i's action and person (None when refused), the refusals by row, and the new
    ledger rows' ids (none on a dry run)."""

    actions: tuple[WithdrawalAction, ...]
    subject_ids: tuple[int | None, ...]
    errors: dict[int, dict[str, list[str]]]
    event_ids: tuple[int, ...] = ()
    applied: bool = False
    counts: dict[str, int] = field(default_factory=dict)


def _refusal(email: str) -> str | None:
    try:
        validate_email(email)
    except ValidationError:
        return _("Enter a valid e-mail address.")
    return None


@transaction.atomic
def withdraw_consents(
    *,
    emails: Sequence[str],
    purpose: Purpose,
    channel: str,
    actor: Actor,
    occurred_at: Sequence[dt.datetime | None] | None = None,
    source: str = "",
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> WithdrawalOutcome:
    """Withdraw `purpose`'s consent of each address's person. A person with no consent in
    force (never given, already withdrawn, or given again after the time of the withdrawal)
    is unchanged; an unknown or malformed address,
    or one named twice, refused. `occurred_at[i]`: when row i's person acted (default now;
    earlier is allowed, a withdrawal is not retroactive)."""
    if not purpose.is_consent_based:
        raise ValidationError(
            {"purpose": _("%(purpose)s does not rest on consent.") % {"purpose": purpose.name}}
        )
    if len(emails) > MAX_ROWS:
        raise ValidationError({"rows": _("At most %(max)d rows per call.") % {"max": MAX_ROWS}})
    now = now or timezone.now()
    times = [t or now for t in (occurred_at or [None] * len(emails))]
    errors: dict[int, dict[str, list[str]]] = {}
    indexes: list[str | None] = []
    seen: set[str] = set()
    for row, (email, at) in enumerate(zip(emails, times, strict=True)):
        index = blind_index(email)
        message = _refusal(email.strip())
        if message is None and index in seen:
            message = _("An earlier row names this address.")
        if message is None and at > now + GRANT_CLOCK_SKEW:
            errors[row] = {"occurred_at": [_("The time cannot be in the future.")]}
        elif message is not None:
            errors[row] = {"work_email": [message]}
        indexes.append(None if row in errors else index)
        seen.add(index or "")

    people = dict(
        DataSubject.objects.active()
        .filter(work_email_index__in=[i for i in indexes if i])
        .values_list("work_email_index", "pk")
    )
    last: dict[int, tuple[str, dt.datetime]] = {}
    for subject_id, kind, at in (
        ConsentEvent.objects.filter(subject_id__in=people.values(), purpose=purpose)
        .order_by("subject_id", "occurred_at", "recorded_at", "id")
        .values_list("subject_id", "kind", "occurred_at")
    ):
        last[subject_id] = (kind, at)  # the last in ledger order wins

    actions: list[WithdrawalAction] = []
    subject_ids: list[int | None] = []
    for row, index in enumerate(indexes):
        found = people.get(index) if index else None
        if row not in errors and found is None:
            errors[row] = {"work_email": [_("No person in use has this address.")]}
        if row in errors or found is None:
            actions.append("refuse")
            subject_ids.append(None)
            continue
        kind, since = last.get(found, ("", now))
        # In force now, and given before the person unsubscribed: an unsubscribe dated before
        # a later grant is stale (they subscribed again), so nothing changes.
        in_force = kind == EventKind.GRANTED and since <= times[row]
        actions.append("withdraw" if in_force else "unchanged")
        subject_ids.append(found)

    event_ids: list[int] = []
    if not dry_run:
        policies: dict[dt.date, PolicyVersion | None] = {}
        events = []
        for row, action in enumerate(actions):
            person = subject_ids[row]
            if action != "withdraw" or person is None:
                continue
            at = times[row]
            if (day := legal_date(at)) not in policies:
                policies[day] = policy_in_force(at)  # one query per day named, not per row
            policy = policies[day]
            events.append(
                ConsentEvent(
                    subject_id=person,
                    purpose=purpose,
                    kind=EventKind.WITHDRAWN,
                    channel=channel,
                    actor=user_of(actor),
                    actor_label=actor_label(actor),
                    policy_version=policy,
                    occurred_at=at,
                    recorded_at=now,
                )
            )
        ConsentEvent.objects.bulk_create(events, batch_size=INSERT_BATCH)
        event_ids = [e.pk for e in events]
        record_events_bulk(
            action="consent.withdrawn",
            actor=actor,
            target_type="consent.consentevent",
            target_ids=event_ids,
            details={"purpose": purpose.code, "channel": channel, "bulk": source or "bulk"},
        )
    return WithdrawalOutcome(
        actions=tuple(actions),
        subject_ids=tuple(subject_ids),
        errors=errors,
        event_ids=tuple(event_ids),
        applied=not dry_run,
        counts={a: actions.count(a) for a in WITHDRAWAL_ACTIONS},
    )
