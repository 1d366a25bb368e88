"""Double opt-in: asking records nothing; only the click on the e-mailed link grants."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.emails import (
    absolute_url,
    build_service_email,
    read_subscription_token,
    subscription_token,
)
from consent.models import Channel, ConsentEvent
from consent.selectors import consent_state, is_suppressed
from consent.services.ledger import grant_consent
from processing.models import Purpose
from subjects.models import DataSubject, Source, SubjectKind
from subjects.services import create_subject

ACTOR = "data subject"


def subscription_wording(purposes: list[Purpose]) -> str:
    """The sentence the person agrees to, in the language active when the form is shown."""
    names = "; ".join(f"{p.name} — {p.description}".strip(" —") for p in purposes)
    return _(
        "I agree that the operator may send me marketing e-mail for: %(purposes)s. I can "
        "withdraw this consent at any time with the unsubscribe link in every such e-mail or "
        "by writing to the privacy address; withdrawal does not affect earlier processing."
    ) % {"purposes": names}


def request_subscription(
    *, email: str, purposes: list[Purpose], name: str = "", language: str = "en"
) -> None:
    """E-mail a signed confirmation link. Nothing is stored: an unconfirmed address is no one's."""
    email = email.strip()
    if not email:
        raise ValidationError({"email": _("Give your work e-mail address.")})
    if not purposes:
        raise ValidationError({"purposes": _("Choose at least one kind of e-mail.")})
    if any(not p.is_consent_based for p in purposes):
        raise ValidationError({"purposes": _("Choose from the listed kinds of e-mail.")})
    wording = subscription_wording(purposes)
    token = subscription_token(
        email=email,
        purpose_ids=[p.pk for p in purposes],
        wording=wording,
        language=language,
        name=name.strip()[:200],
    )
    confirm_url = absolute_url(reverse("consent_public:subscribe_confirm", args=[token]))
    build_service_email(
        to=email,
        template_base="subscribe_confirm",
        context={"confirm_url": confirm_url, "purposes": purposes, "wording": wording},
        language=language,
    ).send()


@dataclass
class SubscriptionOutcome:
    subject: DataSubject
    events: list[ConsentEvent]
    purposes: list[Purpose]


def read_subscription(token: str) -> dict[str, Any]:
    """The request a link carries; raises `signing.BadSignature` (or `SignatureExpired`)."""
    data = read_subscription_token(token)
    data["purposes"] = list(Purpose.objects.filter(pk__in=data["p"], active=True))
    return data


def _split_name(name: str) -> tuple[str, str]:
    parts = name.split()
    if len(parts) < 2:
        return (parts[0] if parts else ""), ""
    return " ".join(parts[:-1]), parts[-1]


@transaction.atomic
def confirm_subscription(*, token: str, now: dt.datetime | None = None) -> SubscriptionOutcome:
    """The click: find or create the person and record each grant with the wording shown."""
    now = now or timezone.now()
    data = read_subscription(token)
    email = data["e"]
    if is_suppressed(email):
        raise ValidationError(
            _("This address asked us earlier never to send it marketing, so we cannot "
              "subscribe it here. Please write to our privacy address and we will help.")
        )  # fmt: skip
    subject = DataSubject.objects.active().with_email(email).order_by("pk").first()
    if subject is None:
        first, last = _split_name(data.get("n", ""))
        # The person asked in this language, so later e-mails use it too.
        language = data.get("l", "")
        subject = create_subject(
            actor=ACTOR,
            kind=SubjectKind.OTHER,
            first_name=first,
            last_name=last,
            work_email=email,
            preferred_language=language if language in dict(settings.LANGUAGES) else "",
            source=Source.SUBJECT,
            collected_at=now,
        )
    events = []
    for purpose in data["purposes"]:
        if consent_state(subject, purpose, now).permitted:
            continue  # a second click records nothing
        events.append(
            grant_consent(
                subject=subject,
                purpose=purpose,
                channel=Channel.WEB_FORM,
                actor=ACTOR,
                wording=data["w"],
                now=now,
            )
        )
    return SubscriptionOutcome(subject=subject, events=events, purposes=data["purposes"])
