"""GDPR Art. 20(2): a portability request's package sent straight to another company.

The requester names the company and its address for receiving data (the public form, or
staff entering a request from a letter). A DPO confirms the transmission, or declines it with
reasons (Art. 20(4), 12(4): not technically feasible, the address cannot be trusted...), and
may change that decision until the request is answered. Completing a confirmed request sends
the company an e-mail, in English and with no personal data in its subject, holding a signed
link to the reviewed package alone that expires after `ANSWER_LINK_DAYS` (`delivery.RECEIVER`);
the requester's letter says where the package went, when, and until when the link works.
Declined, the package goes to the requester as any other, and the letter says why.

The audit log names no company nor address: its events carry a keyed hash of the address
(`receiver_index`), which proves which address was confirmed, sent to and downloaded from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import Actor
from core.crypto import blind_index
from subject_requests import guards
from subject_requests.choices import EntryKind, RequestType, Transmission
from subject_requests.delivery import RECEIVER, documents_for, issue_link, link_until
from subject_requests.models import SubjectRequest, TimelineEntry
from subject_requests.services.common import (
    RequestError,
    add_entry,
    audit,
    lock,
    refuse_unless_allowed,
    require,
)
from subject_requests.transmission_mail import TRANSMISSION_LETTER


@dataclass(frozen=True)
class Receiver:
    """The company a portability request's package is to be sent to, and its address."""

    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


def address_problem(email: str) -> str | None:
    """Why `email` cannot receive a person's data, or None: an address on the Internet, with
    a domain name (not a bare host such as `localhost`, nor an IP address)."""
    try:
        validate_email(email)
    except ValidationError:
        return _("Enter the company's e-mail address, such as privacy@company.com.")
    domain = email.rsplit("@", 1)[1]
    if domain.startswith("[") or "." not in domain.strip("."):
        return _("Enter the company's e-mail address, such as privacy@company.com.")
    return None


def check_receiver(*, type: str, receiver: Receiver | None) -> Receiver | None:
    """The receiver a new request names, checked (the forms say it first, field by field)."""
    if receiver is None or not (receiver.name.strip() or receiver.email.strip()):
        return None
    if type != RequestType.PORTABILITY:
        raise RequestError(_("Only data for a data-portability request can go to another company."))
    name, email = receiver.name.strip(), receiver.email.strip()
    if not name:
        raise RequestError(_("Name the company the data is to be sent to."))
    problem = address_problem(email)
    if problem is not None:
        raise RequestError(problem)
    return Receiver(name=name, email=email)


def record_asked(request: SubjectRequest, *, actor: Actor, now: dt.datetime) -> None:
    """A new request that names a receiver: on the timeline and in the log, for a DPO."""
    add_entry(
        request,
        kind=EntryKind.TRANSMISSION,
        actor=actor,
        now=now,
        summary="The requester asks that the package go to another company (GDPR Art. 20(2)); "
        "a DPO confirms or declines it",
        body=f"{request.receiver_name} <{request.receiver_email}>",
    )
    audit(
        "request.transmission_asked",
        actor=actor,
        request=request,
        receiver_index=blind_index(request.receiver_email),
    )


def _decide(
    request: SubjectRequest, *, to: str, reason: str, actor: Actor, now: dt.datetime | None
) -> SubjectRequest:
    require(actor, "requests.decide")
    now = now or timezone.now()
    with transaction.atomic():
        request = lock(request)
        refuse_unless_allowed(guards.can_decide_transmission(request, now))
        previous = request.transmission
        request.transmission = to
        request.transmission_reason = reason
        request.transmission_decided_at = now
        request.save(
            update_fields=[
                "transmission",
                "transmission_reason",
                "transmission_decided_at",
                "updated_at",
            ]
        )
        confirmed = to == Transmission.CONFIRMED
        add_entry(
            request,
            kind=EntryKind.TRANSMISSION,
            actor=actor,
            now=now,
            summary="Transmission to the receiving company confirmed: the package goes there "
            "when the request is completed"
            if confirmed
            else "Transmission to the receiving company declined: the package goes to the "
            "requester, and the letter says why",
            body=f"{request.receiver_name} <{request.receiver_email}>"
            + ("" if confirmed else f"\n{reason}"),
        )
        audit(
            "request.transmission_confirmed" if confirmed else "request.transmission_declined",
            actor=actor,
            request=request,
            previous=previous,
            receiver_index=blind_index(request.receiver_email),
        )
        return request


def confirm_transmission(
    *, request: SubjectRequest, actor: Actor, now: dt.datetime | None = None
) -> SubjectRequest:
    """The DPO has checked the company and its address: the package goes there."""
    return _decide(request, to=Transmission.CONFIRMED, reason="", actor=actor, now=now)


def decline_transmission(
    *, request: SubjectRequest, reason: str, actor: Actor, now: dt.datetime | None = None
) -> SubjectRequest:
    """GDPR Art. 20(4), 12(4): the package goes to the requester; the letter gives `reason`."""
    if not reason.strip():
        raise RequestError(_("Give your reasons: the requester reads them in the letter."))
    return _decide(request, to=Transmission.DECLINED, reason=reason.strip(), actor=actor, now=now)


def transmits(request: SubjectRequest) -> bool:
    """Does completing the request send its package to the receiving company? Confirmed, and
    a package to send (a requester matched to nobody has none)."""
    return (
        request.transmission == Transmission.CONFIRMED and documents_for(request, RECEIVER).exists()
    )


def send_to_receiver(
    request: SubjectRequest, *, actor: Actor, now: dt.datetime, renewed: bool = False
) -> TimelineEntry:
    """E-mail the receiving company its link (issued by the caller, saved on the locked
    request), after commit; the timeline shows what the mail server said."""
    from subject_requests.tasks import send_request_letter

    entry = add_entry(
        request,
        kind=EntryKind.TRANSMISSION,
        actor=actor,
        now=now,
        summary="E-mail to the receiving company with a link to the package, valid until "
        f"{link_until(now):%d.%m.%Y} (GDPR Art. 20(2))",
        letter=TRANSMISSION_LETTER,
        body=f"{request.receiver_name} <{request.receiver_email}>",
    )
    entry_id = entry.pk
    transaction.on_commit(lambda: send_request_letter.delay(entry_id))
    audit(
        "request.transmission_link_renewed" if renewed else "request.transmitted",
        actor=actor,
        request=request,
        receiver_index=blind_index(request.receiver_email),
        link_until=link_until(now).isoformat(),
    )
    return entry


def resend_refusal(request: SubjectRequest) -> str | None:
    """May the package's link go to the company again (its e-mail bounced, or its link
    expired)? Only once sent, and while the package is still kept."""
    if request.transmission != Transmission.CONFIRMED or request.transmitted_at is None:
        return _("The package has not been sent to a company.")
    if not request.receiver_email or not documents_for(request, RECEIVER).exists():
        return _("The package is no longer kept: there is nothing to send.")
    return None


@transaction.atomic
def renew_receiver_link(
    *, request: SubjectRequest, actor: Actor = "receiving company", now: dt.datetime | None = None
) -> bool:
    """A new link for the receiving company (the old one stops working), e-mailed to the
    address the DPO confirmed: asked for on the expired link's page, or sent again by a DPO
    (a bounced e-mail)."""
    require(actor, "requests.decide")
    now = now or timezone.now()
    request = lock(request)
    if resend_refusal(request) is not None:
        return False
    issue_link(request, RECEIVER)
    request.save(update_fields=["receiver_nonce", "updated_at"])
    send_to_receiver(request, actor=actor, now=now, renewed=True)
    return True
