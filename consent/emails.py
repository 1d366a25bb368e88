"""Every e-mail this app sends, and the one door for marketing e-mail.

Marketing e-mail goes through `send_marketing_email` only: it refuses anyone not
`marketable_filter` and adds the signed unsubscribe link plus the RFC 8058 one-click headers.
Service e-mails (notices, confirmations) carry no unsubscribe link: a stated decision, since
they are not marketing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from core.links import public_link
from retention.periods import Period

if TYPE_CHECKING:
    from processing.models import Purpose
    from subjects.models import DataSubject

UNSUBSCRIBE_SALT = "consent.unsubscribe"
SUBSCRIBE_SALT = "consent.subscribe"
# A confirmation link older than this is refused: the person asks again. The pages and the
# e-mail state it from here (`SUBSCRIBE_LINK_PERIOD`).
SUBSCRIBE_LINK_DAYS = 7
SUBSCRIBE_MAX_AGE_SECONDS = SUBSCRIBE_LINK_DAYS * 24 * 3600
SUBSCRIBE_LINK_PERIOD = Period(days=SUBSCRIBE_LINK_DAYS)


class NotMarketable(Exception):
    """The person may not receive this purpose's marketing (no consent, objected, …)."""


def absolute_url(path: str, *, language: str | None = None) -> str:
    """A link in an e-mail, in the reader's language when given (`core.links`)."""
    return public_link(path, language=language)


def unsubscribe_token(subject: DataSubject, purpose: Purpose) -> str:
    # Ids only: the token reveals nothing, and the signature makes it tamper-proof. No expiry:
    # an unsubscribe link in a two-year-old newsletter must still work.
    return signing.dumps({"s": subject.pk, "p": purpose.pk}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> tuple[int, int]:
    """The (subject id, purpose id) a token names; raises `signing.BadSignature`."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        raise signing.BadSignature("malformed unsubscribe token")
    if not isinstance(data.get("p"), int):
        raise signing.BadSignature("malformed unsubscribe token")
    return data["s"], data["p"]


def unsubscribe_url(subject: DataSubject, purpose: Purpose) -> str:
    return absolute_url(
        reverse("consent_public:unsubscribe", args=[unsubscribe_token(subject, purpose)]),
        language=subject.letter_language(),
    )


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 2369 + RFC 8058: mail clients offer one-click unsubscribe by POSTing to the link."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def render_email(
    template_base: str, context: dict[str, Any], *, language: str
) -> tuple[str, str, str]:
    """(subject line, text, html) rendered in `language` from `templates/emails/consent/`."""
    with translation.override(language):
        subject_line = render_to_string(f"emails/consent/{template_base}_subject.txt", context)
        text = render_to_string(f"emails/consent/{template_base}.txt", context)
        html = render_to_string(f"emails/consent/{template_base}.html", context)
    return " ".join(subject_line.split()), text, html


def build_service_email(
    *, to: str, template_base: str, context: dict[str, Any], language: str, connection: Any = None
) -> EmailMultiAlternatives:
    context = {
        "privacy_contact_email": settings.PRIVACY_CONTACT_EMAIL,
        # GDPR Art. 13(1)(b), 14(1)(b): the data protection officer's contact details.
        "dpo_contact": settings.PRIVACY_DPO_CONTACT,
        **context,
    }
    subject_line, text, html = render_email(template_base, context, language=language)
    message = EmailMultiAlternatives(
        subject=subject_line,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        connection=connection,
        reply_to=[settings.PRIVACY_CONTACT_EMAIL],
    )
    message.attach_alternative(html, "text/html")
    return message


def send_marketing_email(
    *,
    subject: DataSubject,
    purpose: Purpose,
    subject_line: str,
    body: str,
    html_body: str | None = None,
    connection: Any = None,
) -> EmailMultiAlternatives:
    """Send one marketing e-mail, or raise `NotMarketable`. The only way marketing leaves."""
    from consent.selectors import marketable_filter
    from subjects.models import DataSubject

    if not purpose.is_direct_marketing:
        raise NotMarketable(f"purpose {purpose.code} is not a marketing purpose")
    if not marketable_filter(DataSubject.objects.filter(pk=subject.pk), purpose=purpose).exists():
        raise NotMarketable(f"subject {subject.pk} may not receive {purpose.code}")
    from consent.wording import public_wording

    link = unsubscribe_url(subject, purpose)
    context = {
        "body": body,
        "html_body": html_body,
        "unsubscribe_url": link,
        # The self-service preference centre: every purpose in one place.
        "preferences_url": absolute_url(
            reverse("selfservice:start"), language=subject.letter_language()
        ),
        "privacy_contact_email": settings.PRIVACY_CONTACT_EMAIL,
    }
    with translation.override(subject.letter_language()):
        # The purpose by the words the person agreed to, in their language.
        context["wording"] = public_wording(purpose)
        text = render_to_string("emails/consent/marketing.txt", context)
        html = render_to_string("emails/consent/marketing.html", context)
    message = EmailMultiAlternatives(
        subject=subject_line,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subject.work_email or ""],
        connection=connection,
        headers=unsubscribe_headers(link),
    )
    message.attach_alternative(html, "text/html")
    message.send()
    return message


def subscription_token(*, pending_id: int, nonce: str) -> str:
    # An opaque reference to the pending row: no address, name or wording travels in the link.
    return signing.dumps({"s": pending_id, "n": nonce}, salt=SUBSCRIBE_SALT)


def read_subscription_token(token: str) -> tuple[int, str]:
    """The (pending subscription id, nonce) a link names; raises `signing.BadSignature` (or
    its subclass `SignatureExpired` after `SUBSCRIBE_LINK_DAYS`)."""
    data = signing.loads(token, salt=SUBSCRIBE_SALT, max_age=SUBSCRIBE_MAX_AGE_SECONDS)
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        raise signing.BadSignature("malformed subscription token")
    if not isinstance(data.get("n"), str) or not data["n"]:
        raise signing.BadSignature("malformed subscription token")
    return data["s"], data["n"]
