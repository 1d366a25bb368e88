"""Letters to requesters, rendered in the language they wrote in, plain text and HTML."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from core.audit import record_event
from core.timeutil import legal_date
from subject_requests.models import SubjectRequest, TimelineEntry

LETTERS = frozenset(
    {"acknowledgement", "verification", "extension", "rejection", "closure", "message"}
)


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


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
        "status_url": absolute(reverse("requests_public:status", args=[status_token(request)])),
        "privacy_contact_email": settings.PRIVACY_CONTACT_EMAIL,
        "link_days": VERIFICATION_LINK_DAYS,
        "body": entry.body if entry is not None else "",
        "reason": request.closure_reason,
        "extension_reason": request.extension_reason,
        "site_url": settings.SITE_URL,
    }
    if request.verification_nonce:
        context["verify_url"] = absolute(
            reverse("requests_public:verify", args=[verification_token(request)])
        )
    return context


def build_letter(entry: TimelineEntry) -> EmailMultiAlternatives:
    request = entry.request
    if entry.letter not in LETTERS:
        raise ValueError(f"unknown letter {entry.letter!r}")
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
        to=[request.requester_email or ""],
        reply_to=[settings.PRIVACY_CONTACT_EMAIL],
    )
    message.attach_alternative(html, "text/html")
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
    entry = TimelineEntry.objects.select_related("request").get(pk=entry_id)
    if not entry.request.requester_email:
        TimelineEntry.objects.filter(pk=entry_id).update(emailed_at=None)
        return False
    try:
        build_letter(entry).send()
    except Exception:
        TimelineEntry.objects.filter(pk=entry_id).update(emailed_at=None)
        raise
    record_event(
        action="request.letter_sent",
        actor="requests-mailer",
        target=entry.request,
        details={"reference": entry.request.reference, "letter": entry.letter},
    )
    return True
