"""Erasure on request (GDPR Art. 17) and on objection (Art. 21(2)): the one entry point.

It runs the same statements as the nightly purge (`subjects.anonymisation`), for the given
people only, whatever their deadlines, and like the purge enters each erasure in the erasure
ledger first (`retention.ledger`, under the record type of erasure requests), so that a
restored backup replays it.

It yields to a legal hold — the operator must keep the data to establish or defend a claim
(Art. 17(3)(e)) — but **not** to a restriction (Art. 18): a restriction protects the person's
own interest in the data being kept, and their later request to erase it is the newer word
of the same person. The nightly purge, which acts on no one's request, skips both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from core.audit import Actor, record_event, record_events_bulk
from core.timeutil import legal_today
from retention.ledger import record_erasure
from retention.models import ErasureSource
from retention.registry import ANONYMISE, DEFER, Applied
from retention.services.deletion import STATEMENT_CHUNK, label_of
from subjects.anonymisation import (
    CLAIM_UNNEEDED,
    CLAIM_UNNEEDED_RECORDS,
    claim_unneeded_left,
    erase_people,
    mark_erasure_requested,
)
from subjects.models import DataSubject
from subjects.retention import ErasureRequestedData

# What the audit log says went of a person a kept claim keeps: field names and model labels.
CLEARED_FOR_CLAIM = [*CLAIM_UNNEEDED, *(label_of(model) for model in CLAIM_UNNEEDED_RECORDS)]


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
    # Linked to a claim that the law lets the operator keep (Art. 17(3)(e)): what the claim
    # needs stays until the claim's own rule ends; the rest goes now (`CLAIM_UNNEEDED`),
    # from these people of them, who still held some of it.
    kept_for_claims: list[int] = field(default_factory=list)
    minimised_for_claims: list[int] = field(default_factory=list)
    already_anonymised: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def erase_subjects(
    *,
    subject_ids: Iterable[int],
    actor: Actor,
    reason: str,
    cause: str = "erasure",
    now: dt.datetime | None = None,
) -> ErasureOutcome:
    """Anonymise the given people and their records now, whatever their deadlines.

    Refuses (raises `SubjectsOnLegalHold`, changing nothing) if any is under legal hold.
    Invoices keep their own billing copy and claims their data: the law requires them
    (accounting; legal claims), so erasure yields there and the outcome says so.
    `reason` goes into the audit log: a code or article, never personal data. `cause` tells
    the hooks what started it ("request", "objection", "erasure").
    """
    now = now or timezone.now()
    ids = sorted({int(pk) for pk in subject_ids})
    with transaction.atomic():
        people = DataSubject.objects.select_for_update().filter(pk__in=ids)
        held = set(
            DataSubject.objects.filter(pk__in=ids)
            .held(as_of=legal_today(now))
            .values_list("pk", flat=True)
        )
        if held:
            raise SubjectsOnLegalHold(held)
        outcome = ErasureOutcome()
        outcome.already_anonymised = sorted(
            people.filter(anonymised_at__isnull=False).values_list("pk", flat=True)
        )
        live = sorted(set(people.values_list("pk", flat=True)) - set(outcome.already_anonymised))
        applied = Applied()
        if live:
            # The ledger first, as the purge's batches: a restored backup replays it (its
            # record type's `redo` marks and erases them again, as below).
            _ledger(live, action=ANONYMISE, reason=reason, now=now)
            # Gone at once from lists, searches, audiences and exports, even those a kept
            # claim keeps; the nightly purge erases them when the claim goes.
            mark_erasure_requested(live, now=now)
        for start in range(0, len(live), STATEMENT_CHUNK):
            chunk = live[start : start + STATEMENT_CHUNK]
            unneeded = set(
                DataSubject.objects.filter(pk__in=chunk)
                .filter(claim_unneeded_left())
                .values_list("pk", flat=True)
            )
            kept = erase_people(chunk, action=ANONYMISE, now=now, applied=applied, cause=cause)
            outcome.kept_for_claims.extend(kept)
            outcome.minimised_for_claims.extend(pk for pk in kept if pk in unneeded)
            outcome.anonymised.extend(pk for pk in chunk if pk not in kept)
        outcome.counts = applied.counts
        _audit(outcome, actor=actor, reason=reason)
    return outcome


def _ledger(ids: list[int], *, action: str, reason: str, now: dt.datetime) -> None:
    record_erasure(
        source=ErasureSource.ERASURE,
        record_type=ErasureRequestedData.code,
        action=action,
        ids=ids,
        reason=reason,
        now=now,
    )


def _audit(outcome: ErasureOutcome, *, actor: Actor, reason: str) -> None:
    for action, ids in (
        ("retention.subject.anonymised", outcome.anonymised),
        ("retention.subject.kept_for_claims", outcome.kept_for_claims),
    ):
        if ids:
            record_events_bulk(
                action=action,
                actor=actor,
                target_type=label_of(DataSubject),
                target_ids=ids,
                details={"reason": reason},
            )
    if outcome.minimised_for_claims:
        # Art. 5(1)(c): what a kept claim does not need went, the rest is kept for it.
        record_events_bulk(
            action="retention.subject.minimised_for_claim",
            actor=actor,
            target_type=label_of(DataSubject),
            target_ids=outcome.minimised_for_claims,
            details={"reason": reason, "cleared": CLEARED_FOR_CLAIM},
        )
    record_event(
        action="retention.erasure",
        actor=actor,
        target_type=label_of(DataSubject),
        details={
            "reason": reason,
            "anonymised": len(outcome.anonymised),
            "kept_for_claims": len(outcome.kept_for_claims),
            "minimised_for_claims": len(outcome.minimised_for_claims),
            "already_anonymised": len(outcome.already_anonymised),
            "rows": outcome.counts,
        },
    )


def defer_erasure(
    *, subject_ids: Iterable[int], actor: Actor, reason: str, now: dt.datetime | None = None
) -> list[int]:
    """People a legal hold keeps: out of use at once (lists, searches, audiences, exports:
    `in_use_condition`), erased by the first nightly purge after the hold is lifted (the
    erasure-requests rule). Returns the ids newly marked."""
    now = now or timezone.now()
    ids = sorted({int(pk) for pk in subject_ids})
    with transaction.atomic():
        marked = sorted(
            DataSubject.objects.filter(
                pk__in=ids, erasure_requested_at__isnull=True, anonymised_at__isnull=True
            ).values_list("pk", flat=True)
        )
        if marked:
            _ledger(marked, action=DEFER, reason=reason, now=now)
            mark_erasure_requested(marked, now=now)
            record_events_bulk(
                action="retention.subject.erasure_deferred",
                actor=actor,
                target_type=label_of(DataSubject),
                target_ids=marked,
                details={"reason": reason},
            )
    return marked


def anonymise_subjects(
    *, subject_ids: Iterable[int], actor: Actor, reason: str, cause: str = "erasure"
) -> int:
    """Anonymise the given subjects and their records at once (Art. 17 erasure, Art. 21(2)
    objection). Returns how many people were anonymised; raises `SubjectsOnLegalHold`."""
    outcome = erase_subjects(subject_ids=subject_ids, actor=actor, reason=reason, cause=cause)
    return len(outcome.anonymised)
