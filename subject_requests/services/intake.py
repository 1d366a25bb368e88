"""Requests arriving: through the public form, or entered by staff from an e-mail, a letter
or a phone call."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import Actor, user_of
from core.timeutil import legal_date, legal_zone
from subject_requests import deadlines, guards
from subject_requests.choices import (
    STAFF_CHANNELS,
    Channel,
    EntryKind,
    RequestType,
    Status,
    Transmission,
)
from subject_requests.models import SubjectRequest
from subject_requests.services.common import (
    RequestError,
    add_entry,
    audit,
    lock,
    refresh_deadline,
    refuse_unless_allowed,
    require,
    send_letter,
    staff_label,
)
from subject_requests.services.transmission import Receiver, check_receiver, record_asked

# Item 6 of the issue: a request of the same type from the same verified e-mail within this
# window is flagged as a possible duplicate and linked, never merged.
DUPLICATE_WINDOW_DAYS = 30
# A staff-entered receipt date further back than this is almost certainly a typing error.
OLDEST_BACKDATED_RECEIPT = relativedelta(years=1)


@dataclass(frozen=True)
class AgentProof:
    content: bytes
    name: str
    content_type: str


def reference_for(request: SubjectRequest) -> str:
    return f"DSR-{legal_date(request.received_at).year}-{request.pk:06d}"


def _create(
    *,
    type: str,
    channel: str,
    name: str,
    email: str,
    description: str,
    received_at: dt.datetime,
    language: str,
    via_agent: bool,
    agent_name: str,
    agent_proof: AgentProof | None,
    created_by: Actor,
    now: dt.datetime,
    receiver: Receiver | None = None,
) -> SubjectRequest:
    if type not in RequestType.values:
        raise RequestError(_("Choose which right the request is about."))
    if not name.strip():
        raise RequestError(_("The requester's name is required."))
    if via_agent and not agent_name.strip():
        raise RequestError(_("Name the agent who acts for the person."))
    receiver = check_receiver(type=type, receiver=receiver)
    request = SubjectRequest.objects.create(
        type=type,
        channel=channel,
        status=Status.RECEIVED,
        language=language or "en",
        requester_name=name.strip(),
        requester_email=email.strip() or None,
        description=description.strip(),
        via_agent=via_agent,
        agent_name=agent_name.strip() if via_agent else None,
        agent_proof=agent_proof.content if via_agent and agent_proof else None,
        agent_proof_name=agent_proof.name if via_agent and agent_proof else None,
        agent_proof_content_type=agent_proof.content_type if via_agent and agent_proof else "",
        receiver_name=receiver.name if receiver else None,
        receiver_email=receiver.email if receiver else None,
        transmission=Transmission.ASKED if receiver else "",
        received_at=received_at,
        **deadlines.request_deadline(received_at).as_fields(),
        created_by=user_of(created_by),
        created_at=now,
    )
    request.reference = reference_for(request)
    SubjectRequest.objects.filter(pk=request.pk).update(reference=request.reference)
    add_entry(
        request,
        kind=EntryKind.STATUS,
        actor=created_by,
        summary=f"Received by {staff_label(Channel(request.channel)).lower()}",
        now=now,
        to_status=Status.RECEIVED,
    )
    if receiver is not None:
        record_asked(request, actor=created_by, now=now)
    flag_duplicate(request=request, actor=created_by, now=now, verified_only=True)
    return request


def flag_duplicate(
    *, request: SubjectRequest, actor: Actor, now: dt.datetime, verified_only: bool
) -> SubjectRequest | None:
    """Link `request` to an earlier one of the same type from the same e-mail within
    `DUPLICATE_WINDOW_DAYS` (at intake: only earlier requests whose e-mail was verified)."""
    if request.duplicate_of_id is not None or not request.requester_email_index:
        return None
    earlier = (
        SubjectRequest.objects.filter(
            requester_email_index=request.requester_email_index,
            type=request.type,
            received_at__gte=request.received_at - dt.timedelta(days=DUPLICATE_WINDOW_DAYS),
            received_at__lte=request.received_at,
        )
        .exclude(pk=request.pk)
        .order_by("-received_at", "-id")
    )
    if verified_only:
        earlier = earlier.filter(verified_at__isnull=False)
    original = earlier.first()
    if original is None:
        return None
    request.duplicate_of = original
    SubjectRequest.objects.filter(pk=request.pk).update(duplicate_of=original)
    add_entry(
        request,
        kind=EntryKind.DUPLICATE,
        actor=actor,
        now=now,
        summary=f"Possible duplicate of {original.reference} (same right, same e-mail, "
        f"within {DUPLICATE_WINDOW_DAYS} days); not merged",
    )
    add_entry(
        original,
        kind=EntryKind.DUPLICATE,
        actor=actor,
        now=now,
        summary=f"{request.reference} may duplicate this request",
    )
    audit("request.duplicate_flagged", actor=actor, request=request, original=original.reference)
    return original


@transaction.atomic
def submit_request(
    *,
    type: str,
    name: str,
    email: str,
    description: str,
    language: str = "en",
    via_agent: bool = False,
    agent_name: str = "",
    receiver: Receiver | None = None,
    actor: Actor = "data subject",
    now: dt.datetime | None = None,
) -> SubjectRequest:
    """The public form (or the platform's in-app form through the API, `actor` then naming
    its key): acknowledge at once and send the verification link (valid 7 days). A
    portability request may name a `receiver` for its package (GDPR Art. 20(2))."""
    from subject_requests.services.identity import ask_to_confirm_email

    now = now or timezone.now()
    if not email.strip():
        raise RequestError(_("An e-mail address is required so that we can answer you."))
    request = _create(
        type=type,
        channel=Channel.WEB,
        name=name,
        email=email,
        description=description,
        received_at=now,
        language=language,
        via_agent=via_agent,
        agent_name=agent_name,
        agent_proof=None,
        created_by=actor,
        now=now,
        receiver=receiver,
    )
    audit("request.received", actor=actor, request=request, channel=Channel.WEB)
    send_letter(
        request,
        letter="acknowledgement",
        actor=actor,
        summary="Acknowledgement with the reference and due date",
        now=now,
    )
    return ask_to_confirm_email(request=request, actor=actor, now=now)


@transaction.atomic
def submit_verified_request(
    *,
    type: str,
    subject: Any,
    description: str,
    language: str,
    actor: Actor,
    now: dt.datetime | None = None,
) -> SubjectRequest:
    """A request the person files from their self-service pages: they signed in by a link
    sent to their stored address, which is what the e-mail link of the public form proves, so
    the request is verified at once and matched to them alone."""
    from subject_requests.choices import VerificationMethod
    from subject_requests.services.workflow import move

    now = now or timezone.now()
    name = f"{subject.first_name} {subject.last_name}".strip() or (subject.work_email or "")
    request = _create(
        type=type, channel=Channel.SELF_SERVICE, name=name, email=subject.work_email or "",
        description=description, received_at=now, language=language, via_agent=False,
        agent_name="", agent_proof=None, created_by=actor, now=now,
    )  # fmt: skip
    audit("request.received", actor=actor, request=request, channel=Channel.SELF_SERVICE)
    request.subjects.add(subject)
    request.email_confirmed_at = request.verified_at = now
    request.verification_method = VerificationMethod.SELF_SERVICE
    request.save(
        update_fields=["email_confirmed_at", "verified_at", "verification_method", "updated_at"]
    )
    move(request, to=Status.VERIFIED, actor=actor, now=now)
    add_entry(
        request,
        kind=EntryKind.IDENTITY,
        actor=actor,
        now=now,
        summary="Verified: filed on the self-service pages, signed in by a single-use link "
        "sent to the person's stored e-mail",
    )
    audit(
        "request.verified",
        actor=actor,
        request=request,
        method=VerificationMethod.SELF_SERVICE,
        matched=1,
    )
    if request.requester_email:
        send_letter(
            request,
            letter="acknowledgement",
            actor=actor,
            summary="Acknowledgement with the reference and due date",
            now=now,
        )
    return request


@transaction.atomic
def enter_request(
    *,
    type: str,
    channel: str,
    name: str,
    email: str,
    description: str,
    received_at: dt.datetime,
    actor: Actor,
    via_agent: bool = False,
    agent_name: str = "",
    agent_proof: AgentProof | None = None,
    send_verification_link: bool = False,
    language: str = "en",
    receiver: Receiver | None = None,
    now: dt.datetime | None = None,
) -> SubjectRequest:
    """Staff enter a request that arrived by e-mail, letter or phone; `received_at` is when
    it reached the operator (GDPR Art. 12(3) counts from receipt, not from typing it in)."""
    from subject_requests.services.identity import ask_to_confirm_email

    require(actor, "requests.enter")
    now = now or timezone.now()
    if channel not in STAFF_CHANNELS:
        raise RequestError("Staff enter requests received by e-mail, letter or phone.")
    _check_receipt(received_at, now)
    if send_verification_link and not email.strip():
        raise RequestError("A verification link needs the requester's e-mail address.")
    request = _create(
        type=type,
        channel=channel,
        name=name,
        email=email,
        description=description,
        received_at=received_at,
        language=language,
        via_agent=via_agent,
        agent_name=agent_name,
        agent_proof=agent_proof,
        created_by=actor,
        now=now,
        receiver=receiver,
    )
    audit(
        "request.entered",
        actor=actor,
        request=request,
        channel=channel,
        received_at=received_at.isoformat(),
        backdated=received_at < now - dt.timedelta(minutes=5),
    )
    if request.requester_email:
        send_letter(
            request,
            letter="acknowledgement",
            actor=actor,
            summary="Acknowledgement with the reference and due date",
            now=now,
        )
    if send_verification_link:
        request = ask_to_confirm_email(request=request, actor=actor, now=now)
    return request


def _check_receipt(received_at: dt.datetime, now: dt.datetime) -> None:
    if timezone.is_naive(received_at):
        raise RequestError("The receipt time needs a time zone.")
    if received_at > now:
        raise RequestError("A request cannot be received in the future.")
    if received_at < now - OLDEST_BACKDATED_RECEIPT:
        raise RequestError("The receipt date is more than a year ago; check it.")


@transaction.atomic
def change_received_at(
    *,
    request: SubjectRequest,
    received_at: dt.datetime,
    reason: str,
    actor: Actor,
    now: dt.datetime | None = None,
) -> SubjectRequest:
    """Correct when a hand-entered request reached the operator; the deadline follows."""
    require(actor, "requests.enter")
    now = now or timezone.now()
    request = lock(request)
    refuse_unless_allowed(guards.can_change_received(request, now))
    if not reason.strip():
        raise RequestError("Say why the receipt time changes.")
    _check_receipt(received_at, now)
    old_received, old_due = request.received_at, request.due_at
    request.received_at = received_at
    request.save(update_fields=["received_at", *refresh_deadline(request), "updated_at"])
    add_entry(
        request,
        kind=EntryKind.DEADLINE,
        actor=actor,
        now=now,
        summary=f"Receipt time corrected to {received_at.astimezone(legal_zone()):%d.%m.%Y %H:%M}; "
        f"due "
        f"{legal_date(request.due_at):%d.%m.%Y}",
        body=reason.strip(),
    )
    audit(
        "request.received_at_changed",
        actor=actor,
        request=request,
        old_received_at=old_received.isoformat(),
        new_received_at=received_at.isoformat(),
        old_due_at=old_due.isoformat(),
        new_due_at=request.due_at.isoformat(),
        new_target_at=request.target_at.isoformat(),
    )
    return request


def new_nonce() -> str:
    return secrets.token_urlsafe(24)
