"""What each of this app's models loses when a person's data goes: the field lists and the
set-based statements that the nightly purge (through `subjects.retention`) and erasure on
request (`subjects.services.erasure`) share, stated once (docs/admin-guide.md, "What goes and
what stays").

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

A person a kept claim still needs (Art. 17(3)(e)) keeps only what the claim needs — names,
work contact, company link, and the messages, invoices and claims that may be its evidence —
and loses the rest at once (Art. 5(1)(c)): `CLAIM_UNNEEDED`, stated once here for the erasure
and its preview (`subjects.erasure_preview`).

Anonymisation is irreversible: values are overwritten with NULL or an empty string, never
moved elsewhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet

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

# People's ids, as a list or as one array already built for several statements.
Ids = Iterable[int] | IdArray

CLAIM_CLEARED: dict[str, Any] = {"description": None, "subject": None}

TRIAL_CONTENT_CLEARED: dict[str, Any] = {"content": None, "title": "", "author": None}


# What a kept claim does not need of its party (GDPR Art. 17(3)(e) read with 5(1)(c)): cleared
# at once when the person is erased, even while the claim keeps them. Kept for the claim:
# names, work e-mail, phone and address, the company link, and the messages, invoices and
# claims that may be its evidence.
CLAIM_UNNEEDED: dict[str, Any] = {
    "date_of_birth": None,
    "photo": None,
    "photo_content_type": "",
    "position": "",  # stored as NULL
}
# The person's records a claim does not need either — demo notes, platform usage — each with
# the rows that still hold something and what anonymising clears (DELETE: the rows go).
# Erasure clears them the same way for everyone else (`clear_subject_records`).
CLAIM_UNNEEDED_RECORDS: dict[type[models.Model], tuple[Q, dict[str, Any]]] = {
    Demo: (Q(notes__isnull=False), {"notes": None}),
    UsageRecord: (Q(), {"subject": None, "details": None}),
}


def claim_unneeded_fields_left() -> Q:
    """People whose own row still holds something of `CLAIM_UNNEEDED`."""
    return (
        Q(date_of_birth__isnull=False)
        | Q(photo__isnull=False)
        | ~Q(photo_content_type="")
        | Q(position__isnull=False)
    )


def claim_unneeded_records_of(
    model: type[models.Model], where: dict[str, Any], *, action: str = ANONYMISE
) -> QuerySet[Any]:
    """`model`'s rows matching `where` that still hold what `clear_claim_unneeded` clears."""
    left, _cleared = CLAIM_UNNEEDED_RECORDS[model]
    rows = model._default_manager.filter(**where)
    return rows.filter(left) if action == ANONYMISE else rows


def claim_unneeded_left(*, action: str = ANONYMISE) -> Q:
    """People (a `DataSubject` filter) still holding something a kept claim does not need:
    what `clear_claim_unneeded` clears, so it matches nobody once that has run."""
    condition = claim_unneeded_fields_left()
    for model in CLAIM_UNNEEDED_RECORDS:
        rows = claim_unneeded_records_of(model, {"subject": OuterRef("pk")}, action=action)
        condition |= Q(Exists(rows))
    return condition


def _clear_records(subject_ids: Ids, *, action: str, applied: Applied) -> None:
    where = {"subject_id__any_of": IdArray(subject_ids)}
    for model, (_left, cleared) in CLAIM_UNNEEDED_RECORDS.items():
        if action == ANONYMISE:
            rows = claim_unneeded_records_of(model, where).update(**cleared)
        else:
            rows = delete_set_based(model, where)
        applied.add(label_of(model), rows)


def clear_subject_records(subject_ids: Ids, *, action: str, applied: Applied) -> None:
    """The person's marketing and service records: demos, communications, usage."""
    if action == ANONYMISE:
        messages = (
            Communication.objects.filter(subject_id__any_of=IdArray(subject_ids))
            .filter(Q(subject_line__isnull=False) | Q(body__isnull=False))
            .update(subject_line=None, body=None)
        )
    else:
        messages = delete_set_based(Communication, {"subject_id__any_of": IdArray(subject_ids)})
    applied.add(label_of(Communication), messages)
    _clear_records(subject_ids, action=action, applied=applied)


def clear_claim_unneeded(subject_ids: Sequence[int], *, action: str, applied: Applied) -> None:
    """What a kept claim does not need of these people, who stay for it: `CLAIM_UNNEEDED` on
    their row and `CLAIM_UNNEEDED_RECORDS`. Set-based, and a rerun changes nothing."""
    applied.add(
        label_of(DataSubject) + ":kept_for_claim",
        DataSubject.objects.filter(pk__any_of=IdArray(subject_ids), anonymised_at__isnull=True)
        .filter(claim_unneeded_fields_left())
        .update(**CLAIM_UNNEEDED),
    )
    _clear_records(subject_ids, action=action, applied=applied)


def subjects_kept_for_claims(subject_ids: Ids) -> set[int]:
    """A claim holds no copy of its party's identity and the person's messages may be its
    evidence, so what the claim needs of them (`CLAIM_UNNEEDED` aside) stays while a claim
    linked to them is kept (claims: at most 10 years after falling due)."""
    return set(
        Claim.objects.filter(subject_id__any_of=IdArray(subject_ids), anonymised_at__isnull=True)
        .order_by()  # the model's ordering would add its column to the DISTINCT
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


def anonymise_subject_rows(subject_ids: Ids, *, now: dt.datetime) -> int:
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
    """Clear the people and their records; of those a kept claim still needs, only what the
    claim does not need (`clear_claim_unneeded`). Returns the ids kept for claims (re-checked
    here, inside the caller's transaction). `cause` says what started it, for the hooks
    (`subjects.hooks.after_erase`)."""
    # One array for the statements of the batch, converted and written once (`IdArray`).
    batch = IdArray(subject_ids)
    kept = sorted(subjects_kept_for_claims(batch))
    people = [pk for pk in subject_ids if pk not in kept]
    if kept:
        for minimised in hooks.after_minimise:
            minimised(subject_ids=kept, now=now, cause=cause)
        clear_claim_unneeded(kept, action=action, applied=applied)
        batch = IdArray(people)
    if not people:
        return kept
    for hook in hooks.after_erase:
        hook(subject_ids=people, now=now, cause=cause)
    clear_subject_records(batch, action=action, applied=applied)
    if action == ANONYMISE:
        applied.add(label_of(DataSubject), anonymise_subject_rows(batch, now=now))
    else:
        delete_subject_rows(people, now=now, applied=applied)
    return kept
