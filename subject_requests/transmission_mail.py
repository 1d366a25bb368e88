"""The e-mail that sends a portability package to the company the requester named (GDPR
Art. 20(2)), once a DPO confirmed it: in English, from the controller, with its contact and
the request's reference, the signed link to the package alone and the day the link expires.
Its subject holds no personal data, and neither does its body: the package names the person.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from subject_requests.delivery import RECEIVER, download_url, link_days, link_until
from subject_requests.models import SubjectRequest

# The timeline entry whose e-mail goes to the receiving company (`letters.deliver_letter`).
TRANSMISSION_LETTER = "transmission"
TEMPLATE = "subject_requests/emails/transmission/package"
LANGUAGE = "en"


def transmission_email(request: SubjectRequest, *, to: str) -> EmailMultiAlternatives:
    context = {
        "receiver": request.receiver_name,
        "reference": request.reference,
        "controller": settings.PRIVACY_CONTROLLER_NAME,
        "address": settings.PRIVACY_CONTROLLER_ADDRESS,
        "contact": settings.PRIVACY_CONTACT_EMAIL,
        "dpo": settings.PRIVACY_DPO_CONTACT,
        "download_url": download_url(request, RECEIVER),
        "until": link_until(timezone.now()),
        "days": link_days(),
    }
    with translation.override(LANGUAGE):
        subject = " ".join(render_to_string(f"{TEMPLATE}_subject.txt", context).split())
        text = render_to_string(f"{TEMPLATE}.txt", context)
        html = render_to_string(f"{TEMPLATE}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[settings.PRIVACY_CONTACT_EMAIL],
    )
    message.attach_alternative(html, "text/html")
    return message
