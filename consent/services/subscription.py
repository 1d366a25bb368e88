"""Double opt-in: asking records no consent; only the click on the e-mailed link grants.

Asking stores a `PendingSubscription` (the address, name and wording encrypted) and e-mails a
link that names that row and nothing else. The click claims the row's nonce with a
conditional UPDATE, so each link records at most once, whoever replays it later.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from consent.emails import (
    SUBSCRIBE_LINK_PERIOD,
    absolute_url,
    build_service_email,
    read_subscription_token,
    subscription_token,
)
from consent.models import Channel, ConsentEvent, PendingSubscription
from consent.selectors import consent_state, is_suppressed
from consent.services.ledger import grant_consent
from core.audit import record_event
from processing.models import Purpose
from subjects.models import DataSubject, Source, SubjectKind
from subjects.services import create_subject

ACTOR = "data subject"


def subscription_wording(purposes: list[Purpose]) -> str:
    """The sentence the person agrees to, in the language active when the form is shown: each
    purpose by its name and description in that language (the register's own words end with a
    full stop, which the sentence supplies once), and the privacy address to write to."""
    names = "; ".join(
        " — ".join(part for part in (_(p.name), _(p.description).strip().rstrip(".")) if part)
        for p in purposes
    )
    return _(
        "I agree to receive marketing e-mails from us about: %(purposes)s. I can withdraw this "
        "consent at any time with the unsubscribe link at the end of every such e-mail or by "
        "writing to %(contact)s; withdrawing does not affect what was done before."
    ) % {"purposes": names, "contact": settings.PRIVACY_CONTACT_EMAIL}


class SubscriptionLinkUsed(Exception):
    """The link was used already: its choice was recorded at the first click."""


def request_subscription(
    *,
    email: str,
    purposes: list[Purpose],
    name: str = "",
    language: str = "en",
    now: dt.datetime | None = None,
) -> PendingSubscription:
    """Keep the request (its retention rule says how long) and e-mail the confirmation link."""
    email = email.strip()
    if not email:
        raise ValidationError({"email": _("Give your work e-mail address.")})
    if not purposes:
        raise ValidationError({"purposes": _("Choose at least one kind of e-mail.")})
    if any(not p.is_consent_based for p in purposes):
        raise ValidationError({"purposes": _("Choose from the listed kinds of e-mail.")})
    wording = subscription_wording(purposes)
    with transaction.atomic():
        pending = PendingSubscription.objects.create(
            email=email,
            name=name.strip()[:200] or None,
            purpose_ids=[p.pk for p in purposes],
            wording=wording,
            language=language,
            nonce=secrets.token_urlsafe(24),
            requested_at=now or timezone.now(),
        )
        record_event(
            action="consent.subscription_requested",
            actor=ACTOR,
            target=pending,
            details={"purposes": [p.code for p in purposes], "language": language},
        )
    token = subscription_token(pending_id=pending.pk, nonce=pending.nonce)
    confirm_url = absolute_url(
        reverse("consent_public:subscribe_confirm", args=[token]), language=language
    )
    build_service_email(
        to=email,
        template_base="subscribe_confirm",
        context={
            "confirm_url": confirm_url,
            "purposes": purposes,
            "wording": wording,
            "link_period": SUBSCRIBE_LINK_PERIOD,
        },
        language=language,
    ).send()
    return pending


@dataclass
class SubscriptionOutcome:
    subject: DataSubject
    events: list[ConsentEvent]
    purposes: list[Purpose]


@dataclass
class SubscriptionLink:
    pending: PendingSubscription
    nonce: str
    purposes: list[Purpose]


def read_subscription(token: str) -> SubscriptionLink:
    """The pending request a link names. Raises `signing.BadSignature` (tampered),
    `signing.SignatureExpired` (older than `SUBSCRIBE_LINK_DAYS`) or `SubscriptionLinkUsed`."""
    pending_id, nonce = read_subscription_token(token)
    pending = PendingSubscription.objects.filter(pk=pending_id).first()
    if pending is None or not pending.nonce or not constant_time_compare(pending.nonce, nonce):
        raise SubscriptionLinkUsed()
    purposes = list(Purpose.objects.filter(pk__in=pending.purpose_ids, active=True))
    return SubscriptionLink(pending=pending, nonce=nonce, purposes=purposes)


def _split_name(name: str) -> tuple[str, str]:
    parts = name.split()
    if len(parts) < 2:
        return (parts[0] if parts else ""), ""
    return " ".join(parts[:-1]), parts[-1]


@transaction.atomic
def confirm_subscription(*, token: str, now: dt.datetime | None = None) -> SubscriptionOutcome:
    """The click: find or create the person and record each grant with the wording shown."""
    now = now or timezone.now()
    link = read_subscription(token)
    pending = link.pending
    email = pending.email or ""
    if is_suppressed(email):
        raise ValidationError(
            _("This address asked us earlier never to send it marketing, so we cannot "
              "subscribe it here. Please write to our privacy address and we will help.")
        )  # fmt: skip
    # Single use: only the first click finds the nonce; the conditional UPDATE is the claim
    # (a concurrent second click waits on the row and then matches nothing). The address
    # and name leave the pending row with it: from now on they live in the person's record.
    claimed = PendingSubscription.objects.filter(pk=pending.pk, nonce=link.nonce).update(
        nonce="", confirmed_at=now, email=None, name=None
    )
    if not claimed:
        raise SubscriptionLinkUsed()
    subject = DataSubject.objects.active().with_email(email).order_by("pk").first()
    if subject is None:
        first, last = _split_name(pending.name or "")
        # The person asked in this language, so later e-mails use it too.
        language = pending.language
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
    for purpose in link.purposes:
        if consent_state(subject, purpose, now).permitted:
            continue  # subscribed already (through another link): nothing to record
        events.append(
            grant_consent(
                subject=subject,
                purpose=purpose,
                channel=Channel.WEB_FORM,
                actor=ACTOR,
                wording=pending.wording,
                now=now,
            )
        )
    return SubscriptionOutcome(subject=subject, events=events, purposes=link.purposes)
