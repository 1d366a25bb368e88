"""Erasure on request (GDPR Art. 17), carried out from the request: proposed with its preview,
confirmed by a DPO — another one than who entered the request or proposed the erasure, where
the portal has more than one (`core.duties`) — and run by the people's erasure for these
people only. What stays (invoices, claims, what a kept claim needs of the person, a legal
hold, the request's own record) is kept with its reason and end day for the answer letter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from consent.models import Channel as ConsentChannel
from consent.services import suppress_email
from core.audit import Actor, acting_user
from core.duties import second_pair_of_eyes_refusal, sole_dpo
from core.timeutil import legal_today
from subject_requests import guards
from subject_requests.choices import ActionKind, ActionStatus, Channel, EntryKind, Operation
from subject_requests.models import RightAction, SubjectRequest
from subject_requests.services import systems
from subject_requests.services.common import (
    RequestError,
    actor_fields,
    add_entry,
    audit,
    lock,
    refuse_unless_allowed,
    require,
)
from subject_requests.services.workflow import begin_work
from subjects.erasure_preview import erasure_preview
from subjects.models import PROSPECT_KINDS, DataSubject
from subjects.services import defer_erasure, erase_subjects

REASON = "GDPR Art. 17: erasure on request"
# The channel a suppression records: the one the erasure request came by.
SUPPRESSION_CHANNEL: dict[str, str] = {
    Channel.WEB: ConsentChannel.WEB_FORM,
    Channel.EMAIL: ConsentChannel.EMAIL,
    Channel.LETTER: ConsentChannel.LETTER,
    Channel.PHONE: ConsentChannel.PHONE,
    Channel.API: ConsentChannel.API,
    Channel.SELF_SERVICE: ConsentChannel.SELF_SERVICE,
}


def erasure_candidates(request: SubjectRequest) -> list[DataSubject]:
    """The matched people an erasure still has to act on: not erased, not yet erased by this
    request (a legal hold may keep them), and not refused with reasons."""
    return sorted(guards.people_not_acted_on(request), key=lambda person: person.pk)


@transaction.atomic
def propose_erasure(
    *, request: SubjectRequest, actor: Actor, note: str = "", now: dt.datetime | None = None
) -> list[RightAction]:
    """The proposal a DPO confirms: one per matched person still holding data."""
    require(actor, "requests.propose")
    now = now or timezone.now()
    request = lock(request)
    refuse_unless_allowed(guards.can_propose_erasure(request, now))
    people = erasure_candidates(request)
    try:
        with transaction.atomic():
            proposals = [
                RightAction.objects.create(
                    request=request,
                    subject=person,
                    kind=ActionKind.ERASURE,
                    status=ActionStatus.PROPOSED,
                    proposed_by=actor_fields(actor)["actor"],
                    proposed_at=now,
                    note=note.strip() or None,
                )
                for person in people
            ]
    except IntegrityError:
        raise RequestError("An erasure is already proposed for this request.") from None
    add_entry(
        request,
        kind=EntryKind.NOTE,
        actor=actor,
        now=now,
        summary=f"Erasure proposed for {len(proposals)} person(s); a DPO confirms it",
        body=note.strip() or None,
    )
    audit("request.erasure_proposed", actor=actor, request=request, people=len(proposals))
    return proposals


def confirm_refusal(request: SubjectRequest, *, actor: Actor, now: dt.datetime) -> str | None:
    """Why `actor` may not confirm the request's proposed erasure now (None: they may)."""
    refusal = guards.can_confirm_erasure(request, now)
    if refusal is not None:
        return refusal
    proposers = [a.proposed_by for a in request.actions.proposed().filter(kind=ActionKind.ERASURE)]
    return second_pair_of_eyes_refusal(actor=actor, involved=[request.created_by, *proposers])


@dataclass
class ErasureDone:
    actions: list[RightAction] = field(default_factory=list)
    erased: list[int] = field(default_factory=list)
    kept_for_claims: list[int] = field(default_factory=list)
    deferred_for_hold: list[int] = field(default_factory=list)


@transaction.atomic
def confirm_erasure(
    *, request: SubjectRequest, actor: Actor, now: dt.datetime | None = None
) -> ErasureDone:
    """Erase the proposed people now. Those a legal hold keeps leave use at once and are
    erased by the purge after the hold is lifted; those a kept claim keeps, when it ends."""
    require(actor, "requests.decide")
    now = now or timezone.now()
    request = lock(request)
    refuse_unless_allowed(confirm_refusal(request, actor=actor, now=now))
    begin_work(request, actor=actor, now=now)
    proposals = list(
        request.actions.proposed()
        .filter(kind=ActionKind.ERASURE)
        .select_related("subject", "proposed_by")
    )
    ids = [a.subject_id for a in proposals if a.subject_id is not None]
    as_of = legal_today(now)
    before = {
        p.subject.pk: p
        for p in erasure_preview(DataSubject.objects.filter(pk__in=ids), as_of=as_of)
    }
    # What the systems need to find each person, read before the erasure clears it.
    identifiers = {
        p.pk: systems.identifiers_of(p)
        for p in DataSubject.objects.filter(pk__in=ids).select_related("organisation")
    }
    # GDPR Art. 17 with 21(2)-(3): an erased prospect's address goes on the suppression list
    # (a keyed hash), so the next lead import cannot bring them back. Read before erasure.
    prospect_emails = [
        p.work_email
        for p in DataSubject.objects.filter(pk__in=ids, kind__in=PROSPECT_KINDS)
        if p.work_email
    ]
    held = set(
        DataSubject.objects.filter(pk__in=ids).held(as_of=as_of).values_list("pk", flat=True)
    )
    done = ErasureDone(deferred_for_hold=defer_erasure(
        subject_ids=held, actor=actor, reason=REASON, now=now
    ))  # fmt: skip
    free = [pk for pk in ids if pk not in held]
    if free:
        outcome = erase_subjects(
            subject_ids=free, actor=actor, reason=REASON, cause="request", now=now
        )
        done.erased, done.kept_for_claims = outcome.anonymised, outcome.kept_for_claims
    for email in prospect_emails:
        suppress_email(
            email=email,
            channel=SUPPRESSION_CHANNEL.get(request.channel, ConsentChannel.STAFF),
            actor=actor,
            now=now,
        )
    people = {p.pk: p for p in DataSubject.objects.filter(pk__in=ids)}
    after = {p.subject.pk: p for p in erasure_preview(people.values(), as_of=as_of)}
    confirmer = acting_user(actor)
    for action in proposals:
        pk = action.subject_id
        # Erased, or kept for a claim that needs only part of it: what went, read before.
        went = pk in done.erased or pk in done.kept_for_claims
        erased = before[pk].erased if pk in before and went else []
        kept = after.get(pk) if pk is not None else None
        action.status = ActionStatus.DONE
        action.done_by, action.done_at = confirmer, now
        action.details = {
            "erased": [{"code": item.code, "count": item.count} for item in erased],
            "kept": [item.as_json() for item in kept.kept] if kept else [],
            "everything_kept": bool(kept and kept.everything_kept),
        }
        action.save(update_fields=["status", "done_by", "done_at", "details"])
        done.actions.append(action)
        if pk is not None:
            _send_to_systems(action, identifiers[pk], erased=pk in done.erased, now=now)
    proposers = sorted({a.proposed_by.get_username() for a in proposals if a.proposed_by})
    add_entry(
        request,
        kind=EntryKind.NOTE,
        actor=actor,
        now=now,
        summary=f"Erasure carried out: {len(done.erased)} erased, "
        f"{len(done.kept_for_claims)} kept for a claim (what it does not need erased), "
        f"{len(done.deferred_for_hold)} kept by a legal hold until it is lifted",
    )
    audit(
        "request.erasure_confirmed",
        actor=actor,
        request=request,
        proposed_by=proposers,
        confirmed_by=confirmer.get_username(),
        sole_dpo=sole_dpo(),
        erased=len(done.erased),
        kept_for_claims=len(done.kept_for_claims),
        deferred_for_hold=len(done.deferred_for_hold),
    )
    return done


def _send_to_systems(
    action: RightAction, identifiers: dict[str, Any], *, erased: bool, now: dt.datetime
) -> None:
    """Erased: every system erases its copy and every recipient is told (Art. 19). Kept by a
    legal hold or a claim: the systems keep it too, out of use, and the erasure tasks wait
    until the purge erases the person (`systems.release_waiting`)."""
    if erased:
        systems.dispatch_action(action, identifiers=identifiers, actor=action.done_by, now=now)
        return
    assert action.subject is not None
    systems.dispatch(
        action.request,
        person=action.subject,
        operation=Operation.RESTRICT,
        categories=systems.every_category(),
        identifiers=identifiers,
        actor=action.done_by,
        now=now,
        action=action,
        extra={"note": "Erasure requested, but the data must be kept (legal claim or hold): "
               "keep it out of use until told to erase it."},
    )  # fmt: skip
    systems.dispatch_action(
        action, identifiers=identifiers, actor=action.done_by, now=now, waiting=True
    )


@transaction.atomic
def cancel_erasure(
    *, request: SubjectRequest, actor: Actor, reason: str, now: dt.datetime | None = None
) -> int:
    require(actor, "requests.propose")
    now = now or timezone.now()
    request = lock(request)
    if not reason.strip():
        raise RequestError("Say why the proposal is withdrawn: it stays on the timeline.")
    cancelled = (
        request.actions.proposed()
        .filter(kind=ActionKind.ERASURE)
        .update(status=ActionStatus.CANCELLED, done_at=now)
    )
    if not cancelled:
        raise RequestError("No erasure is waiting for confirmation.")
    add_entry(
        request,
        kind=EntryKind.NOTE,
        actor=actor,
        now=now,
        summary="Erasure proposal withdrawn",
        body=reason.strip(),
    )
    audit("request.erasure_cancelled", actor=actor, request=request)
    return int(cancelled)
