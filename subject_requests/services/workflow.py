"""The status machine and the deadline's life: every move of a request after intake."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from core.audit import Actor
from core.timeutil import legal_date
from subject_requests import deadlines, guards
from subject_requests.choices import CLOSED_STATUSES, EntryKind, PauseReason, Status
from subject_requests.delivery import RECEIVER, documents_for, issue_link
from subject_requests.models import Pause, SubjectRequest
from subject_requests.services import systems, task_withdrawal
from subject_requests.services.common import (
    IllegalTransition,
    RequestError,
    actor_fields,
    add_entry,
    audit,
    lock,
    refresh_deadline,
    refuse_unless_allowed,
    require,
    send_letter,
    staff_label,
)
from subject_requests.services.transmission import send_to_receiver, transmits

CLOSING_LETTER: dict[str, str] = {
    Status.COMPLETED: "closure",
    Status.REJECTED: "rejection",
    Status.WITHDRAWN: "closure",
    Status.CLOSED_UNVERIFIED: "closure",
}


def move(
    request: SubjectRequest, *, to: str, actor: Actor, now: dt.datetime, reason: str = ""
) -> SubjectRequest:
    """The one place a status changes; `request` must be locked by the caller."""
    refusal = guards.transition_refusal(request, to)
    if refusal is not None:
        raise IllegalTransition(refusal)
    previous = request.status
    request.status = to
    fields = ["status", "updated_at"]
    if to in CLOSED_STATUSES:
        end_open_pause(request, actor=actor, now=now)
        request.closed_at = now
        request.closure_reason = reason
        request.verification_nonce = ""
        fields += ["closed_at", "closure_reason", "verification_nonce"]
    request.save(update_fields=fields)
    add_entry(
        request,
        kind=EntryKind.STATUS,
        actor=actor,
        now=now,
        summary=f"{staff_label(Status(previous))} → {staff_label(Status(to))}",
        from_status=previous,
        to_status=to,
        body=reason or None,
    )
    audit("request.status_changed", actor=actor, request=request, old=previous, new=to)
    if to == Status.IN_PROGRESS:
        # Access, copy, portability: every system holding the person reports what it holds.
        systems.dispatch_access(request, actor=actor, now=now)
    if to in CLOSED_STATUSES and to != Status.COMPLETED:
        task_withdrawal.close_unanswered(request, actor=actor, now=now)
    if to in CLOSED_STATUSES:
        # GDPR Art. 12(4): every refusal or closure tells the person why and how to complain.
        send_letter(
            request,
            letter=CLOSING_LETTER[to],
            actor=actor,
            summary=f"Letter: {staff_label(Status(to)).lower()}, with the reason and the right to "
            "complain",
            now=now,
        )
    return request


def begin_work(request: SubjectRequest, *, actor: Actor, now: dt.datetime) -> None:
    """Acting on a verified request (building its answer, erasing, correcting) starts the
    work on it; `request` must be locked by the caller."""
    if request.status == Status.VERIFIED:
        move(request, to=Status.IN_PROGRESS, actor=actor, now=now)


def _decide(
    request: SubjectRequest, *, to: str, actor: Actor, now: dt.datetime | None, reason: str = ""
) -> SubjectRequest:
    require(actor, "requests.decide")
    with transaction.atomic():
        return move(lock(request), to=to, actor=actor, now=now or timezone.now(), reason=reason)


def start_work(
    *, request: SubjectRequest, actor: Actor, now: dt.datetime | None = None
) -> SubjectRequest:
    return _decide(request, to=Status.IN_PROGRESS, actor=actor, now=now)


def complete_request(
    *,
    request: SubjectRequest,
    outcome: str,
    actor: Actor,
    refused_part: str = "",
    recipients_requested: bool = False,
    systems_override: str = "",
    now: dt.datetime | None = None,
) -> SubjectRequest:
    """Answer the request: `outcome` says what was done; `refused_part`, when given, what was
    refused and why (GDPR Art. 12(4)). The reviewed documents go with the letter through a
    new download link — or, for a portability package the DPO confirmed to go to another
    company, to that company alone (GDPR Art. 20(2), `services.transmission`). While a system
    outside the portal has not resolved its task, only a DPO's `systems_override` reason
    completes it, and the letter states that reason."""
    require(actor, "requests.decide")
    if not outcome.strip():
        raise RequestError("Describe the outcome: the requester receives it in the letter.")
    now = now or timezone.now()
    with transaction.atomic():
        request = lock(request)
        refuse_unless_allowed(guards.can_complete(request, now))
        unresolved = request.system_tasks.unresolved().count()
        if unresolved and not systems_override.strip():
            raise RequestError(
                f"{unresolved} system task(s) are not resolved: wait for them, or give your "
                "reason to complete now (the letter states it)."
            )
        request.refused_part = refused_part.strip()
        request.recipients_requested = recipients_requested
        request.systems_override = systems_override.strip() if unresolved else ""
        to_receiver = transmits(request)
        if to_receiver:
            issue_link(request, RECEIVER)
            request.transmitted_at = now
        elif documents_for(request).documents().exists():
            issue_link(request)
        request.save(
            update_fields=[
                "refused_part",
                "recipients_requested",
                "systems_override",
                "delivery_nonce",
                "receiver_nonce",
                "transmitted_at",
                "updated_at",
            ]
        )
        if unresolved:
            audit(
                "request.completed_with_open_tasks",
                actor=actor,
                request=request,
                unresolved=unresolved,
            )
        move(request, to=Status.COMPLETED, actor=actor, now=now, reason=outcome.strip())
        if to_receiver:
            send_to_receiver(request, actor=actor, now=now)
        return request


def reject_request(
    *, request: SubjectRequest, reason: str, actor: Actor, now: dt.datetime | None = None
) -> SubjectRequest:
    # GDPR Art. 12(4): a refusal always gives its reason.
    if not reason.strip():
        raise RequestError("A rejection needs a reason: the requester receives it.")
    return _decide(request, to=Status.REJECTED, actor=actor, now=now, reason=reason.strip())


def withdraw_request(
    *,
    request: SubjectRequest,
    actor: Actor,
    reason: str = "",
    now: dt.datetime | None = None,
) -> SubjectRequest:
    """The requester withdraws (on the status page, or by telling staff: the DPO records it)."""
    require(actor, "requests.decide")
    # The letter says in the requester's language that they withdrew; a reason is optional.
    reason = reason.strip()
    with transaction.atomic():
        return move(
            lock(request),
            to=Status.WITHDRAWN,
            actor=actor,
            now=now or timezone.now(),
            reason=reason,
        )


def close_unverified(
    *, request: SubjectRequest, reason: str, actor: Actor, now: dt.datetime | None = None
) -> SubjectRequest:
    """The DPO closes a request whose identity could not be confirmed (the daily job closes
    those whose link was never followed)."""
    if not reason.strip():
        raise RequestError("Closing needs a reason: the requester receives it.")
    return _decide(
        request, to=Status.CLOSED_UNVERIFIED, actor=actor, now=now, reason=reason.strip()
    )


@transaction.atomic
def extend_deadline(
    *, request: SubjectRequest, reason: str, actor: Actor, now: dt.datetime | None = None
) -> SubjectRequest:
    """GDPR Art. 12(3): once, by two further months — three from receipt, never chained from
    the first due date — decided and told to the requester, with the reason, in time."""
    require(actor, "requests.decide")
    now = now or timezone.now()
    request = lock(request)
    refuse_unless_allowed(guards.can_extend(request, now))
    if not reason.strip():
        raise RequestError("An extension needs a reason: the requester receives it.")
    old_due = request.due_at
    request.extended_at = now
    request.extension_reason = reason.strip()
    deadline_fields = refresh_deadline(request)
    request.save(update_fields=["extended_at", "extension_reason", *deadline_fields, "updated_at"])
    add_entry(
        request,
        kind=EntryKind.DEADLINE,
        actor=actor,
        now=now,
        summary=f"Deadline extended from {legal_date(old_due):%d.%m.%Y} to "
        f"{legal_date(request.due_at):%d.%m.%Y}",
        body=request.extension_reason,
    )
    send_letter(
        request,
        letter="extension",
        actor=actor,
        now=now,
        summary="Letter: extension with its reason",
    )
    audit(
        "request.extended",
        actor=actor,
        request=request,
        old_due_at=old_due.isoformat(),
        new_due_at=request.due_at.isoformat(),
        new_target_at=request.target_at.isoformat(),
    )
    return request


@transaction.atomic
def pause_request(
    *,
    request: SubjectRequest,
    reason: str,
    actor: Actor,
    note: str = "",
    now: dt.datetime | None = None,
) -> SubjectRequest:
    """Stop the clock while identity information (Art. 12(6)) or a clarification is
    outstanding; `note` (what was asked) goes to the requester."""
    require(actor, "requests.decide")
    now = now or timezone.now()
    request = lock(request)
    if reason not in PauseReason.values:
        raise RequestError(
            "A pause is allowed only while identity information or a clarification is outstanding."
        )
    refuse_unless_allowed(guards.can_pause(request, now))
    if reason == PauseReason.IDENTITY and request.is_verified:
        raise RequestError("The requester's identity is already verified.")
    if not note.strip():
        raise RequestError("Write what you ask the requester for: they receive it.")
    Pause.objects.create(
        request=request, reason=reason, started_at=now, started_by=actor_fields(actor)["actor"]
    )
    if reason == PauseReason.IDENTITY and request.status == Status.RECEIVED:
        move(request, to=Status.AWAITING_IDENTITY, actor=actor, now=now)
    request.paused_since = now
    request.save(update_fields=["paused_since", "updated_at"])
    label = staff_label(PauseReason(reason))
    add_entry(
        request,
        kind=EntryKind.DEADLINE,
        actor=actor,
        now=now,
        summary=f"Clock paused: {label.lower()}",
    )
    send_letter(
        request,
        letter="message",
        actor=actor,
        now=now,
        body=note.strip(),
        kind=EntryKind.MESSAGE,
        summary=f"Message: {label.lower()}",
    )
    audit("request.paused", actor=actor, request=request, reason=reason)
    return request


def end_open_pause(
    request: SubjectRequest, *, actor: Actor, now: dt.datetime, reason: str | None = None
) -> int:
    """Close the open pause (if any, and of `reason` if given) and move the due date by
    exactly its days. `request` must be locked by the caller."""
    if request.paused_since is None:
        return 0
    pause = Pause.objects.filter(request=request, ended_at__isnull=True).first()
    if pause is None or (reason is not None and pause.reason != reason):
        return 0
    days = deadlines.paused_days(pause.started_at, now)
    pause.ended_at, pause.days = now, days
    pause.ended_by = actor_fields(actor)["actor"]
    pause.save(update_fields=["ended_at", "days", "ended_by"])
    request.paused_days += days
    request.paused_since = None
    deadline_fields = refresh_deadline(request)
    request.save(update_fields=["paused_days", "paused_since", *deadline_fields, "updated_at"])
    add_entry(
        request,
        kind=EntryKind.DEADLINE,
        actor=actor,
        now=now,
        summary=f"Clock restarted after {days} paused day(s); due "
        f"{legal_date(request.due_at):%d.%m.%Y}",
    )
    audit("request.resumed", actor=actor, request=request, paused_days=days)
    return days


@transaction.atomic
def resume_request(
    *, request: SubjectRequest, actor: Actor, now: dt.datetime | None = None
) -> SubjectRequest:
    """The information asked for arrived: the clock runs again."""
    require(actor, "requests.decide")
    now = now or timezone.now()
    request = lock(request)
    refuse_unless_allowed(guards.can_resume(request, now))
    end_open_pause(request, actor=actor, now=now)
    return request
