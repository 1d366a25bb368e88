"""Letters to requesters, in the language they wrote in: e-mails (plain text and HTML) and,
for every answer — completed, partly refused, refused, closed unverified, withdrawn,
extended — a PDF letter kept with the request and attached to its e-mail. One letter of the
timeline goes elsewhere: the e-mail that sends a portability package to the company the
requester named (GDPR Art. 20(2), `transmission_mail`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from core.audit import record_event
from core.display import format_date
from core.links import public_link
from core.pdf import Pdf, html_to_pdf
from core.timeutil import legal_date
from subject_requests.choices import (
    ActionStatus,
    DeliveryStatus,
    Outcome,
    RequestType,
    Status,
    StrOrPromise,
    Transmission,
)
from subject_requests.deadlines import answer_periods
from subject_requests.delivery import RECEIVER, documents_for, download_url, link_until
from subject_requests.letter_actions import letter_actions
from subject_requests.models import Answer, SubjectRequest, TimelineEntry
from subject_requests.transmission_mail import TRANSMISSION_LETTER, transmission_email

LETTERS = frozenset(
    {
        "acknowledgement",
        "verification",
        "extension",
        "rejection",
        "closure",
        "message",
        "answers_link",
        "restriction_lift",
        TRANSMISSION_LETTER,
    }
)
# The letters as the staff name them (the audit log's details).
LETTER_WORDS: dict[str, str] = {
    "acknowledgement": "acknowledgement",
    "verification": "verification link",
    "extension": "extension of the deadline",
    "rejection": "refusal",
    "closure": "answer",
    "message": "message",
    "answers_link": "new link to the answer",
    "restriction_lift": "notice that the restriction will be lifted",
    TRANSMISSION_LETTER: "link for the receiving company",
}
# The letters that answer the request (GDPR Art. 12(3)-(4)): each is also a PDF.
PDF_LETTERS = frozenset({"extension", "rejection", "closure"})

LETTER_TITLES: dict[str, StrOrPromise] = {
    Outcome.COMPLETED: gettext_lazy("Our answer to your request"),
    Outcome.PARTLY_REFUSED: gettext_lazy("Our answer to your request"),
    Outcome.REFUSED: gettext_lazy("We cannot act on your request"),
    Outcome.CLOSED_UNVERIFIED: gettext_lazy("Your request is closed"),
    Outcome.WITHDRAWN: gettext_lazy("Your request is withdrawn"),
    Outcome.EXTENDED: gettext_lazy("We need more time to answer"),
}


def absolute(path: str, *, language: str | None = None) -> str:
    return public_link(path, language=language)


def letter_context(request: SubjectRequest, entry: TimelineEntry | None = None) -> dict[str, Any]:
    from subject_requests.services.identity import (
        VERIFICATION_LINK_DAYS,
        status_token,
        verification_token,
    )

    context: dict[str, Any] = {
        "request": request,
        "reference": request.reference,
        "right": request.get_type_display(),
        "name": request.requester_name,
        "received_on": legal_date(request.received_at),
        "due_on": legal_date(request.due_at),
        "status_url": absolute(
            reverse("requests_public:status", args=[status_token(request)]),
            language=request.language,
        ),
        "privacy_contact_email": settings.PRIVACY_CONTACT_EMAIL,
        "link_days": VERIFICATION_LINK_DAYS,
        "body": entry.body if entry is not None else "",
        "reason": request.closure_reason,
        "extension_reason": request.extension_reason,
        # An acknowledgement sent again after an extension names the extended day as such.
        "extended": request.extended_at is not None,
        "site_url": settings.SITE_URL,
        **answer_periods(),
    }
    if request.verification_nonce:
        context["verify_url"] = absolute(
            reverse("requests_public:verify", args=[verification_token(request)]),
            language=request.language,
        )
    delivering = request.delivery_nonce and request.status == Status.COMPLETED
    if delivering and documents_for(request).documents().exists():
        context["download_url"] = download_url(request)
        context["download_until"] = link_until(timezone.now())
    context["refused_part"] = request.refused_part
    context["pdf_attached"] = entry is not None and entry.answer_id is not None
    context["transmission"] = transmission_facts(request, now=timezone.now())
    return context


def transmission_facts(request: SubjectRequest, *, now: dt.datetime) -> dict[str, Any] | None:
    """What the answer to a portability request says of the company the requester asked us
    to send the package to (GDPR Art. 20(2)): declined and why, or sent there on which day
    and until when its link works (a preview, before completing, tells what completing now
    would do), or nothing to send."""
    if request.type != RequestType.PORTABILITY or request.status != Status.COMPLETED:
        return None
    if request.transmission not in (Transmission.CONFIRMED, Transmission.DECLINED):
        return None
    facts: dict[str, Any] = {"receiver": request.receiver_name, "address": request.receiver_email}
    if request.transmission == Transmission.DECLINED:
        return {**facts, "declined": True, "reason": request.transmission_reason}
    if request.closed_at is not None:
        sent_at = request.transmitted_at
    else:
        sent_at = now if documents_for(request, RECEIVER).exists() else None
    if sent_at is None:
        return {**facts, "nothing_to_send": True}
    return {**facts, "sent": True, "sent_on": legal_date(sent_at), "until": link_until(sent_at)}


def letter_outcome(request: SubjectRequest, letter: str) -> str:
    if letter == "extension":
        return Outcome.EXTENDED
    if letter == "rejection":
        return Outcome.REFUSED
    if request.status == Status.COMPLETED:
        refused = (
            bool(request.refused_part)
            or request.transmission == Transmission.DECLINED
            or request.actions.filter(status=ActionStatus.REFUSED).exists()
        )
        return Outcome.PARTLY_REFUSED if refused else Outcome.COMPLETED
    if request.status == Status.WITHDRAWN:
        return Outcome.WITHDRAWN
    return Outcome.CLOSED_UNVERIFIED


def pdf_letter_context(request: SubjectRequest, *, letter: str, now: dt.datetime) -> dict[str, Any]:
    """Rendered inside `translation.override(request.language)`."""
    language = request.language or settings.LANGUAGE_CODE
    outcome = letter_outcome(request, letter)
    transmission = transmission_facts(request, now=now)
    if transmission and transmission.get("sent"):
        transmission["sent_on"] = format_date(transmission["sent_on"], language)
        transmission["until"] = format_date(transmission["until"], language)
    documents = (
        [str(a.get_kind_display()) for a in documents_for(request).documents()]
        if outcome in (Outcome.COMPLETED, Outcome.PARTLY_REFUSED)
        else []
    )
    return {
        "language": language,
        "controller": settings.PRIVACY_CONTROLLER_NAME,
        "contact": settings.PRIVACY_CONTACT_EMAIL,
        "reference": request.reference,
        "right": request.get_type_display(),
        "type": request.type,
        "name": request.requester_name,
        "email": request.requester_email,
        "date": format_date(legal_date(now), language),
        "received_on": format_date(legal_date(request.received_at), language),
        "due_on": format_date(legal_date(request.due_at), language),
        "outcome": outcome,
        "title": LETTER_TITLES[outcome],
        "reason": request.closure_reason,
        "refused_part": request.refused_part,
        "extension_reason": request.extension_reason,
        "documents": documents,
        "link_until": format_date(link_until(now), language),
        "actions": letter_actions(request)
        if outcome in (Outcome.COMPLETED, Outcome.PARTLY_REFUSED)
        else None,
        "transmission": transmission,
        **answer_periods(),
    }


def render_letter_html(
    request: SubjectRequest, *, letter: str, now: dt.datetime, stylesheet: str = ""
) -> str:
    """The letter as HTML: for the PDF (its stylesheet relative to the static files) or, with
    `stylesheet` a URL, as a page in the browser."""
    with translation.override(request.language or settings.LANGUAGE_CODE):
        context = pdf_letter_context(request, letter=letter, now=now)
        return render_to_string("letters/letter.html", {**context, "stylesheet": stylesheet})


def render_letter_pdf(request: SubjectRequest, *, letter: str, now: dt.datetime) -> Pdf:
    return html_to_pdf(render_letter_html(request, letter=letter, now=now))


def recipient_of(entry: TimelineEntry) -> str:
    """The address a letter goes to: the requester's, or the receiving company's."""
    if entry.letter == TRANSMISSION_LETTER:
        return entry.request.receiver_email or ""
    return entry.request.requester_email or ""


def build_letter(entry: TimelineEntry) -> EmailMultiAlternatives:
    request = entry.request
    if entry.letter not in LETTERS:
        raise ValueError(f"unknown letter {entry.letter!r}")
    if entry.letter == TRANSMISSION_LETTER:
        return transmission_email(request, to=recipient_of(entry))
    with translation.override(request.language or settings.LANGUAGE_CODE):
        context = letter_context(request, entry)
        base = f"emails/requests/{entry.letter}"
        subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
        text = render_to_string(f"{base}.txt", context)
        html = render_to_string(f"{base}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient_of(entry)],
        reply_to=[settings.PRIVACY_CONTACT_EMAIL],
    )
    message.attach_alternative(html, "text/html")
    answer = entry.answer
    if answer is not None and answer.content is not None:
        message.attach(answer.file_name, bytes(answer.content), answer.content_type)
    return message


def deliver_letter(*, entry_id: int) -> bool:
    """Send a letter once: the conditional UPDATE claims it, so a rerun or a second worker
    sends nothing twice; a failed send releases the claim for the retry."""
    claimed = (
        TimelineEntry.objects.filter(pk=entry_id, emailed_at__isnull=True)
        .exclude(letter="")
        .update(emailed_at=timezone.now())
    )
    if not claimed:
        return False
    entry = TimelineEntry.objects.select_related("request", "answer").get(pk=entry_id)
    if not recipient_of(entry):
        TimelineEntry.objects.filter(pk=entry_id).update(emailed_at=None)
        return False
    try:
        accepted = build_letter(entry).send()
    except Exception:
        # Released for the retry; if every retry fails, the timeline says it failed.
        TimelineEntry.objects.filter(pk=entry_id).update(
            emailed_at=None, delivery_status=DeliveryStatus.FAILED
        )
        raise
    status = DeliveryStatus.SENT if accepted else DeliveryStatus.FAILED
    TimelineEntry.objects.filter(pk=entry_id).update(delivery_status=status)
    if accepted:
        sent = timezone.now()
        if entry.answer_id is not None:
            Answer.objects.filter(pk=entry.answer_id).update(sent_at=sent)
        request = entry.request
        if request.status == Status.COMPLETED and request.delivery_nonce:
            # The closing letter carried the link to the documents: they are sent with it.
            documents_for(request).documents().filter(sent_at__isnull=True).update(sent_at=sent)
    record_event(
        action="request.letter_sent",
        actor="requests-mailer",
        target=entry.request,
        details={"reference": entry.request.reference, "letter": entry.letter, "delivery": status},
    )
    return bool(accepted)
