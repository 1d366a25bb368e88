"""Per-model anonymisation and set-based deletion: the machinery the purge and erasure on
request (Art. 17) share.

What each model loses is listed here, once (README "What anonymisation clears"):

- DataSubject: names, date of birth, photo (and its type), work address, phone and e-mail
  with its blind index, position, country, organisation link, erasure-flag reason. Kept:
  kind, source, collection and notice dates, `anonymised_at` — counts, no person.
- Demo: notes. Kept: the date held (a count of demos).
- Communication: subject line and body. Kept: direction, channel, time.
- UsageRecord: the link to the person and the details (IP and the like). Kept: action, time.
- Invoice, Claim, TrialContent: see their record types in `retention.record_types`.

Anonymisation is irreversible: values are overwritten with NULL or an empty string, never
moved elsewhere. Deletion never goes through Django's per-object collector: children are
deleted or unlinked by subquery, then the rows themselves (`_raw_delete`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models, router, transaction
from django.db.models import Q
from django.utils import timezone

from core.audit import Actor, record_event, record_events_bulk
from retention.registry import ANONYMISE, Applied

# SQLite's bound-parameter limit is 32 766; 500 ids per statement stays far below it.
STATEMENT_CHUNK = 500

SUBJECT_CLEARED: dict[str, Any] = {
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


def _subjects_models() -> tuple[Any, ...]:
    from subjects.models import Claim, Communication, DataSubject, Demo, UsageRecord

    return DataSubject, Demo, Communication, UsageRecord, Claim


def label_of(model: type[models.Model]) -> str:
    return model._meta.label_lower


def clear_subject_records(subject_ids: Sequence[int], *, action: str, applied: Applied) -> None:
    """The person's marketing and service records: demos, communications, usage."""
    _, Demo, Communication, UsageRecord, _ = _subjects_models()
    if action == ANONYMISE:
        applied.add(
            label_of(Demo),
            Demo.objects.filter(subject_id__any_of=subject_ids, notes__isnull=False).update(
                notes=None
            ),
        )
        applied.add(
            label_of(Communication),
            Communication.objects.filter(subject_id__any_of=subject_ids)
            .filter(Q(subject_line__isnull=False) | Q(body__isnull=False))
            .update(subject_line=None, body=None),
        )
        applied.add(
            label_of(UsageRecord),
            UsageRecord.objects.filter(subject_id__any_of=subject_ids).update(
                subject=None, details=None
            ),
        )
        return
    for model in (Demo, Communication, UsageRecord):
        applied.add(label_of(model), delete_set_based(model, {"subject_id__any_of": subject_ids}))


def subjects_kept_for_claims(subject_ids: Collection[int]) -> set[int]:
    """A claim holds no copy of its party's identity and the person's messages may be its
    evidence, so everything of theirs stays while a claim linked to them is kept (claims:
    at most 10 years after falling due)."""
    *_, Claim = _subjects_models()
    return set(
        Claim.objects.filter(subject_id__any_of=list(subject_ids), anonymised_at__isnull=True)
        .values_list("subject_id", flat=True)
        .distinct()
    )


def anonymise_subject_rows(subject_ids: Iterable[int], *, now: dt.datetime) -> int:
    DataSubject, *_ = _subjects_models()
    return int(
        DataSubject.objects.filter(pk__any_of=list(subject_ids), anonymised_at__isnull=True).update(
            anonymised_at=now, **SUBJECT_CLEARED
        )
    )


def delete_subject_rows(subject_ids: Iterable[int], *, now: dt.datetime, applied: Applied) -> None:
    """Delete the people set-based; those a protecting table (consent ledger, …) points at
    are anonymised instead, never deleted."""
    DataSubject, *_ = _subjects_models()
    ids = set(subject_ids)
    protected = protected_ids(DataSubject, ids)
    applied.add(label_of(DataSubject) + ":anonymised", anonymise_subject_rows(protected, now=now))
    applied.add(
        label_of(DataSubject), delete_set_based(DataSubject, {"pk__in": list(ids - protected)})
    )


def protected_ids(model: type[models.Model], ids: Collection[int]) -> set[int]:
    """Ids that a PROTECT or RESTRICT foreign key (or a many-to-many) points at."""
    found: set[int] = set()
    for rel in model._meta.related_objects:
        on_delete = getattr(rel, "on_delete", None)
        if rel.many_to_many or on_delete in (models.PROTECT, models.RESTRICT):
            related = rel.related_model
            name = rel.field.name
            if rel.many_to_many:
                found |= set(
                    model._base_manager.filter(
                        pk__in=list(ids), **{f"{rel.get_accessor_name()}__isnull": False}
                    ).values_list("pk", flat=True)
                )
                continue
            found |= set(
                related._base_manager.filter(**{f"{name}__in": list(ids)}).values_list(  # type: ignore[union-attr]
                    rel.field.attname, flat=True
                )
            )
    return found


def delete_set_based(model: type[models.Model], where: dict[str, Any]) -> int:
    """DELETE rows matching `where`, handling reverse foreign keys by subquery first:
    CASCADE children are deleted (recursively), SET_NULL children unlinked. The caller
    has excluded rows protected by PROTECT/RESTRICT (see `protected_ids`)."""
    doomed = model._base_manager.filter(**where)
    for rel in model._meta.related_objects:
        if rel.many_to_many:
            continue
        related: Any = rel.related_model
        name = rel.field.name
        on_delete = getattr(rel, "on_delete", None)
        children = {f"{name}__in": doomed.values("pk")}
        if on_delete is models.CASCADE:
            delete_set_based(related, children)
        elif on_delete is models.SET_NULL:
            related._base_manager.filter(**children).update(**{name: None})
        elif (
            on_delete in (models.PROTECT, models.RESTRICT)
            and related._base_manager.filter(**children).exists()
        ):
            raise models.ProtectedError(
                f"{label_of(related)} protects {label_of(model)} rows", set()
            )
    return int(doomed._raw_delete(router.db_for_write(model)))  # type: ignore[attr-defined]


# --- erasure on request (used by consent and subject_requests) -----------------------------


class SubjectsOnLegalHold(Exception):
    """Raised, with nothing changed, when any of the subjects is under legal hold."""

    def __init__(self, subject_ids: Collection[int]) -> None:
        self.subject_ids = sorted(subject_ids)
        super().__init__(
            "Under legal hold (the person or their organisation), nothing was anonymised: "
            + ", ".join(f"#{pk}" for pk in self.subject_ids)
        )


@dataclass
class ErasureOutcome:
    anonymised: list[int] = field(default_factory=list)
    # Linked to a claim that the law lets the operator keep (Art. 17(3)(e)): nothing of
    # theirs is touched until the claim's own rule ends.
    kept_for_claims: list[int] = field(default_factory=list)
    already_anonymised: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def erase_subjects(
    *, subject_ids: Iterable[int], actor: Actor, reason: str, now: dt.datetime | None = None
) -> ErasureOutcome:
    """Anonymise the given people and their records now, whatever their deadlines.

    Refuses (raises `SubjectsOnLegalHold`, changing nothing) if any is under legal hold.
    Invoices keep their own billing copy and claims their data: the law requires them
    (accounting; legal claims), so erasure yields there and the outcome says so.
    `reason` goes into the audit log: a code or article, never personal data.
    """
    from subjects.models import DataSubject, Organisation

    now = now or timezone.now()
    ids = sorted({int(pk) for pk in subject_ids})
    with transaction.atomic():
        people = DataSubject.objects.select_for_update().filter(pk__in=ids)
        held_orgs = Organisation.objects.exclude(legal_hold_reason="").values("pk")
        held = set(
            people.filter(~Q(legal_hold_reason="") | Q(organisation__in=held_orgs)).values_list(
                "pk", flat=True
            )
        )
        if held:
            raise SubjectsOnLegalHold(held)
        outcome = ErasureOutcome()
        outcome.already_anonymised = sorted(
            people.filter(anonymised_at__isnull=False).values_list("pk", flat=True)
        )
        live = sorted(set(people.values_list("pk", flat=True)) - set(outcome.already_anonymised))
        applied = Applied()
        for start in range(0, len(live), STATEMENT_CHUNK):
            chunk = live[start : start + STATEMENT_CHUNK]
            kept = subjects_kept_for_claims(chunk)
            outcome.kept_for_claims.extend(sorted(kept))
            erasable = [pk for pk in chunk if pk not in kept]
            clear_subject_records(erasable, action=ANONYMISE, applied=applied)
            applied.add(label_of(DataSubject), anonymise_subject_rows(erasable, now=now))
            outcome.anonymised.extend(erasable)
        outcome.counts = applied.counts
        if outcome.anonymised:
            record_events_bulk(
                action="retention.subject.anonymised",
                actor=actor,
                target_type=label_of(DataSubject),
                target_ids=outcome.anonymised,
                details={"reason": reason},
            )
        if outcome.kept_for_claims:
            record_events_bulk(
                action="retention.subject.kept_for_claims",
                actor=actor,
                target_type=label_of(DataSubject),
                target_ids=outcome.kept_for_claims,
                details={"reason": reason},
            )
        record_event(
            action="retention.erasure",
            actor=actor,
            target_type=label_of(DataSubject),
            details={
                "reason": reason,
                "anonymised": len(outcome.anonymised),
                "kept_for_claims": len(outcome.kept_for_claims),
                "already_anonymised": len(outcome.already_anonymised),
                "rows": outcome.counts,
            },
        )
    return outcome


def anonymise_subjects(*, subject_ids: Iterable[int], actor: Actor, reason: str) -> int:
    """Anonymise the given subjects and their records at once (Art. 17 erasure, Art. 21(2)
    objection). Returns how many people were anonymised; raises `SubjectsOnLegalHold`."""
    return len(erase_subjects(subject_ids=subject_ids, actor=actor, reason=reason).anonymised)
