"""Identity: who may see what a request asks about.

A request is verified when the requester proves control of an e-mail address that matches a
stored subject's e-mail (a signed, single-use link valid for 7 days, matched by blind index),
or when the DPO records a proportionate check (what was asked, what was shown). GDPR
Art. 12(6) lets the controller ask for what it needs to confirm identity, and no more.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import Actor
from subject_requests import guards
from subject_requests.choices import (
    ActionStatus,
    EntryKind,
    PauseReason,
    Status,
    VerificationMethod,
)
from subject_requests.models import SubjectRequest
from subject_requests.services import systems
from subject_requests.services.common import (
    RequestError,
    add_entry,
    audit,
    lock,
    refuse_unless_allowed,
    require,
    send_letter,
)
from subject_requests.services.task_withdrawal import NOT_THE_REQUESTER, withdraw_questions

VERIFICATION_SALT = "subject_requests.verify-email"
STATUS_SALT = "subject_requests.status-page"
# Item 4 of the issue: the link is valid 7 days; unverified requests close after 7 days.
VERIFICATION_LINK_DAYS = 7


class InvalidLink(RequestError):
    pass


class ExpiredLink(InvalidLink):
    pass


def verification_token(request: SubjectRequest) -> str:
    return signing.dumps({"r": request.pk, "n": request.verification_nonce}, salt=VERIFICATION_SALT)


def status_token(request: SubjectRequest) -> str:
    """The status page's key: signed, no expiry (the requester keeps it for the request's life)."""
    return signing.dumps({"r": request.pk, "ref": request.reference}, salt=STATUS_SALT)


def request_for_status_token(token: str) -> SubjectRequest:
    try:
        data = signing.loads(token, salt=STATUS_SALT)
        return SubjectRequest.objects.get(pk=data["r"], reference=data["ref"])
    except (signing.BadSignature, KeyError, TypeError, SubjectRequest.DoesNotExist):
        raise InvalidLink(_("This link is not valid.")) from None


def ask_to_confirm_email(
    *, request: SubjectRequest, actor: Actor, now: dt.datetime
) -> SubjectRequest:
    """Move to "awaiting identity" and e-mail a fresh link; an older link stops working."""
    from subject_requests.services.intake import new_nonce
    from subject_requests.services.workflow import move

    request = lock(request)
    refuse_unless_allowed(guards.can_resend_link(request, now))
    if request.status == Status.RECEIVED:
        move(request, to=Status.AWAITING_IDENTITY, actor=actor, now=now)
    request.verification_nonce = new_nonce()
    request.identity_requested_at = now
    request.save(update_fields=["verification_nonce", "identity_requested_at", "updated_at"])
    send_letter(
        request,
        letter="verification",
        actor=actor,
        summary=f"Verification link sent (valid {VERIFICATION_LINK_DAYS} days)",
        now=now,
        kind=EntryKind.IDENTITY,
    )
    audit("request.verification_link_sent", actor=actor, request=request)
    return request


@transaction.atomic
def resend_verification_link(
    *, request: SubjectRequest, actor: Actor, now: dt.datetime | None = None
) -> SubjectRequest:
    require(actor, "requests.decide")
    return ask_to_confirm_email(request=request, actor=actor, now=now or timezone.now())


@transaction.atomic
def verify_by_link(*, token: str, now: dt.datetime | None = None) -> SubjectRequest:
    """The requester followed the link: the e-mail is theirs. Verified if it matches a stored
    subject; otherwise the DPO checks identity by other means."""
    from subject_requests.models import SubjectRequest as Model
    from subject_requests.services.intake import flag_duplicate
    from subject_requests.services.workflow import end_open_pause, move

    now = now or timezone.now()
    try:
        data: dict[str, Any] = signing.loads(
            token, salt=VERIFICATION_SALT, max_age=dt.timedelta(days=VERIFICATION_LINK_DAYS)
        )
    except signing.SignatureExpired:
        raise ExpiredLink(
            _("This link has expired. Links are valid for 7 days; contact us to continue.")
        ) from None
    except signing.BadSignature:
        raise InvalidLink(_("This link is not valid.")) from None
    nonce = str(data.get("n") or "")
    pk = data.get("r")
    if not isinstance(pk, int):
        raise InvalidLink(_("This link is not valid."))
    # Single use: only the first click finds the nonce; the conditional UPDATE is the claim.
    claimed = Model.objects.filter(
        pk=pk, verification_nonce=nonce, status=Status.AWAITING_IDENTITY
    ).update(verification_nonce="")
    if not nonce or not claimed:
        raise InvalidLink(_("This link has already been used or is no longer valid."))
    request = lock(Model(pk=pk))
    request.email_confirmed_at = now
    from subjects.models import DataSubject

    matches = list(DataSubject.objects.active().with_email(request.requester_email or ""))
    if not matches:
        request.save(update_fields=["email_confirmed_at", "updated_at"])
        add_entry(
            request,
            kind=EntryKind.IDENTITY,
            actor="data subject",
            now=now,
            summary="E-mail confirmed, but no stored subject has this address: "
            "the DPO must check identity",
        )
        audit("request.email_confirmed", actor="data subject", request=request, matched=0)
        return request
    request.subjects.add(*matches)
    request.verified_at = now
    request.verification_method = VerificationMethod.EMAIL_LINK
    request.save(
        update_fields=["email_confirmed_at", "verified_at", "verification_method", "updated_at"]
    )
    end_open_pause(request, actor="data subject", now=now)
    move(request, to=Status.VERIFIED, actor="data subject", now=now)
    add_entry(
        request,
        kind=EntryKind.IDENTITY,
        actor="data subject",
        now=now,
        summary=f"Verified: the requester controls an e-mail address of {len(matches)} "
        "stored subject(s)",
    )
    audit(
        "request.verified",
        actor="data subject",
        request=request,
        method=VerificationMethod.EMAIL_LINK,
        matched=len(matches),
    )
    flag_duplicate(request=request, actor="data subject", now=now, verified_only=False)
    return request


@transaction.atomic
def verify_manually(
    *,
    request: SubjectRequest,
    asked: str,
    shown: str,
    actor: Actor,
    subject_email: str = "",
    now: dt.datetime | None = None,
) -> SubjectRequest:
    """The DPO's proportionate check, recorded: what was asked and what was shown."""
    from subject_requests.services.intake import flag_duplicate
    from subject_requests.services.workflow import end_open_pause, move

    require(actor, "requests.decide")
    now = now or timezone.now()
    request = lock(request)
    if not asked.strip() or not shown.strip():
        raise RequestError("Record what was asked and what the requester showed.")
    refuse_unless_allowed(guards.can_verify(request, now))
    from subjects.models import DataSubject

    # The address the DPO names, else the requester's own: once identity is checked, the
    # stored people with the requester's address (any case: the blind index) are theirs.
    email = subject_email.strip() or (request.requester_email or "").strip()
    matches = list(DataSubject.objects.active().with_email(email)) if email else []
    if subject_email.strip() and not matches:
        raise RequestError("No stored subject has that e-mail address.")
    request.subjects.add(*matches)
    matched = len(matches)
    request.verified_at = now
    request.verification_method = VerificationMethod.MANUAL
    request.verification_note = f"Asked: {asked.strip()}\nShown: {shown.strip()}"
    request.verification_nonce = ""
    request.save(
        update_fields=[
            "verified_at",
            "verification_method",
            "verification_note",
            "verification_nonce",
            "updated_at",
        ]
    )
    end_open_pause(request, actor=actor, now=now, reason=PauseReason.IDENTITY)
    move(request, to=Status.VERIFIED, actor=actor, now=now)
    add_entry(
        request,
        kind=EntryKind.IDENTITY,
        actor=actor,
        now=now,
        summary="Verified by the DPO's proportionate check"
        + (f"; matched to {matched} stored subject(s) by e-mail" if matched else ""),
        body=request.verification_note,
    )
    audit(
        "request.verified",
        actor=actor,
        request=request,
        method=VerificationMethod.MANUAL,
        matched=matched,
    )
    flag_duplicate(request=request, actor=actor, now=now, verified_only=False)
    return request


def _person(subject_id: int) -> Any:
    from subjects.models import DataSubject

    person = DataSubject.objects.active().filter(pk=subject_id).first()
    if person is None:
        raise RequestError("No such stored person (erased, or never stored).")
    return person


def _changing_match(
    request: SubjectRequest, *, actor: Actor, now: dt.datetime | None
) -> tuple[SubjectRequest, dt.datetime]:
    """The request locked for a change of whom it is about, once the guard allows it."""
    require(actor, "requests.decide")
    now = now or timezone.now()
    request = lock(request)
    refuse_unless_allowed(guards.can_change_match(request, now))
    return request, now


def _record_match_change(
    request: SubjectRequest,
    *,
    actor: Actor,
    now: dt.datetime,
    action: str,
    summary: str,
    **details: Any,
) -> None:
    """A change of whom the request is about: on the timeline and in the audit log."""
    add_entry(request, kind=EntryKind.IDENTITY, actor=actor, now=now, summary=summary)
    audit(action, actor=actor, request=request, **details)


@transaction.atomic
def link_subject(
    *, request: SubjectRequest, subject_id: int, actor: Actor, now: dt.datetime | None = None
) -> None:
    """The DPO found the requester under another address or a name: the request is about
    this stored person too."""
    request, now = _changing_match(request, actor=actor, now=now)
    person = _person(subject_id)
    if request.subjects.filter(pk=person.pk).exists():
        raise RequestError("This person is already linked to the request.")
    request.subjects.add(person)
    _record_match_change(
        request, actor=actor, now=now, action="request.subject_linked", subject=person.pk,
        summary="A stored subject was linked to the request by the DPO",
    )  # fmt: skip
    if request.status == Status.IN_PROGRESS:
        # The systems were asked about the people matched when the work started; about this
        # one now (an access, copy or portability request).
        systems.ask_what_is_held(request, person=person, actor=actor, now=now)


@transaction.atomic
def unlink_subject(
    *, request: SubjectRequest, subject_id: int, actor: Actor, now: dt.datetime | None = None
) -> None:
    """A person matched by mistake leaves the request; what was built for them and not yet
    sent goes with them, and the systems asked what they hold about them are told the question
    is withdrawn. A person whose data the request already acted on stays: the action is on the
    record."""
    request, now = _changing_match(request, actor=actor, now=now)
    if not request.subjects.filter(pk=subject_id).exists():
        raise RequestError("This person is not linked to the request.")
    acted = request.actions.filter(subject_id=subject_id).exclude(status=ActionStatus.CANCELLED)
    if acted.exists():
        raise RequestError(
            "An action of this request was proposed or carried out on this person: they stay "
            "linked. Withdraw a proposal first."
        )
    # The letters stay: they were sent, and each is kept as the proof of what was.
    drafts, _kinds = request.answers.documents().filter(subject_id=subject_id).delete()
    request.subjects.remove(subject_id)
    withdraw_questions(request, why=NOT_THE_REQUESTER, actor=actor, now=now, subject_id=subject_id)
    _record_match_change(
        request, actor=actor, now=now, action="request.subject_unlinked", subject=subject_id,
        summary="A stored subject was unlinked from the request by the DPO"
        + (f"; {drafts} unsent document(s) for them removed" if drafts else ""),
        documents_removed=drafts,
    )  # fmt: skip
