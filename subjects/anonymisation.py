"""What each of this app's models loses when a person's data goes: the field lists and the
set-based statements that the nightly purge (through `subjects.retention`) and erasure on
request (`subjects.services.erasure`) share, stated once (README "What goes and what stays").

- DataSubject: the platform's external id, names with their search tokens, date of birth,
  photo (and its type), work address, phone and e-mail with its blind index, position,
  country, organisation link, erasure-flag reason. Kept:
  kind, source, collection and notice dates, `anonymised_at` — counts, no person.
- Demo: notes. Kept: the date held (a count of demos).
- Communication: subject line and body. Kept: direction, channel, time.
- UsageRecord: the link to the person and the details (IP and the like). Kept: action, time.
- Invoice: billing name, e-mail, address and contact link. Kept: number, date, amount,
  currency, company (Estonian Accounting Act).
- Claim: description and the person link. Kept: dates, amount, company.
- TrialContent: deleted, or title, content and author link cleared.

Anonymisation is irreversible: values are overwritten with NULL or an empty string, never
moved elsewhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from django.db.models import Q

from retention.lookups import IdArray
from retention.registry import ANONYMISE, Applied
from retention.services.deletion import delete_set_based, label_of, protected_ids
from subjects import hooks
from subjects.models import Claim, Communication, DataSubject, Demo, UsageRecord

SUBJECT_CLEARED: dict[str, Any] = {
    "external_id": None,
    # Blank text is stored as NULL; DataSubjectQuerySet.update also deletes the names' tokens
    # (one DELETE by subquery, before the UPDATE).
    "first_name": "",
    "last_name": "",
    "date_of_birth": None,
    "photo": None,
    "photo_content_type": "",
    "work_address": None,
    "work_phone": None,
    "work_email": None,  # PersonalDataQuerySet.update also clears work_email_index
    "position": "",
    "country": "",
    "organisation": None,
    "erasure_flag_reason": "",
}

INVOICE_CLEARED: dict[str, Any] = {
    "billing_name": None,
    "billing_email": None,
    "billing_address": None,
    "billing_contact": None,
}

CLAIM_CLEARED: dict[str, Any] = {"description": None, "subject": None}

TRIAL_CONTENT_CLEARED: dict[str, Any] = {"content": None, "title": "", "author": None}


def clear_subject_records(subject_ids: Sequence[int], *, action: str, applied: Applied) -> None:
    """The person's marketing and service records: demos, communications, usage."""
    if action == ANONYMISE:
        applied.add(
            label_of(Demo),
            Demo.objects.filter(
                subject_id__any_of=IdArray(subject_ids), notes__isnull=False
            ).update(notes=None),
        )
        applied.add(
            label_of(Communication),
            Communication.objects.filter(subject_id__any_of=IdArray(subject_ids))
            .filter(Q(subject_line__isnull=False) | Q(body__isnull=False))
            .update(subject_line=None, body=None),
        )
        applied.add(
            label_of(UsageRecord),
            UsageRecord.objects.filter(subject_id__any_of=IdArray(subject_ids)).update(
                subject=None, details=None
            ),
        )
        return
    for model in (Demo, Communication, UsageRecord):
        applied.add(
            label_of(model), delete_set_based(model, {"subject_id__any_of": IdArray(subject_ids)})
        )


def subjects_kept_for_claims(subject_ids: Collection[int]) -> set[int]:
    """A claim holds no copy of its party's identity and the person's messages may be its
    evidence, so everything of theirs stays while a claim linked to them is kept (claims:
    at most 10 years after falling due)."""
    return set(
        Claim.objects.filter(subject_id__any_of=IdArray(subject_ids), anonymised_at__isnull=True)
        .values_list("subject_id", flat=True)
        .distinct()
    )


def mark_erasure_requested(subject_ids: Iterable[int], *, now: dt.datetime) -> int:
    """Art. 17: the people leave use at once (`in_use_condition`) even where a legal hold or
    a kept claim keeps their data; the erasure-requests rule erases them once nothing does."""
    return int(
        DataSubject.objects.filter(
            pk__any_of=IdArray(subject_ids),
            erasure_requested_at__isnull=True,
            anonymised_at__isnull=True,
        ).update(erasure_requested_at=now)
    )


def anonymise_subject_rows(subject_ids: Iterable[int], *, now: dt.datetime) -> int:
    return int(
        DataSubject.objects.filter(
            pk__any_of=IdArray(subject_ids), anonymised_at__isnull=True
        ).update(anonymised_at=now, **SUBJECT_CLEARED)
    )


def delete_subject_rows(subject_ids: Iterable[int], *, now: dt.datetime, applied: Applied) -> None:
    """Delete the people set-based; those a protecting table (consent ledger, …) points at
    are anonymised instead, never deleted."""
    ids = set(subject_ids)
    protected = protected_ids(DataSubject, ids)
    applied.add(label_of(DataSubject) + ":anonymised", anonymise_subject_rows(protected, now=now))
    applied.add(
        label_of(DataSubject), delete_set_based(DataSubject, {"pk__in": list(ids - protected)})
    )


def erase_people(
    subject_ids: Sequence[int],
    *,
    action: str,
    now: dt.datetime,
    applied: Applied,
    cause: str,
) -> list[int]:
    """Clear the people and their records, except those a kept claim still needs; returns
    the ids kept for claims (re-checked here, inside the caller's transaction). `cause` says
    what started it, for the hooks (`subjects.hooks.after_erase`)."""
    kept = subjects_kept_for_claims(subject_ids)
    people = [pk for pk in subject_ids if pk not in kept]
    if people:
        for hook in hooks.after_erase:
            hook(subject_ids=people, now=now, cause=cause)
    clear_subject_records(people, action=action, applied=applied)
    if action == ANONYMISE:
        applied.add(label_of(DataSubject), anonymise_subject_rows(people, now=now))
    else:
        delete_subject_rows(people, now=now, applied=applied)
    return sorted(kept)
