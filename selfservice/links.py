"""The sign-in link: single use, valid 30 minutes, sent only to a stored address.

Asking answers the same whether or not the address is known (no enumeration), and in the same
time: the request only queues a job with the address' blind index, and the job looks the person
up, makes the link, deletes old links and audits, so what the lookup finds costs the answer
nothing. The link is a signed reference to a `SignInLink` row and its nonce, like the
subscription and answer links; the click claims the nonce with a conditional UPDATE, so a
second use, a replay or a concurrent click finds nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from consent.emails import absolute_url, build_service_email
from core.audit import record_event, subject_actor
from core.crypto import blind_index
from core.ratelimit import Limit, allow_per_address_and_email
from selfservice.models import SignInLink
from subjects.models import DataSubject

SALT = "selfservice.sign-in"
# A sign-in link is valid 30 minutes.
LINK_MINUTES = 30
# (attempts, window in seconds) per client address and per e-mail typed; each known address
# gets an e-mail, so the per-e-mail limit keeps the form from flooding an inbox.
RATE_LIMITS: dict[str, Limit] = {"ip": (10, 3600), "email": (3, 3600)}


class LinkInvalid(Exception):
    """Tampered, malformed, or naming no link."""


class LinkExpired(LinkInvalid):
    """Genuine but older than `LINK_MINUTES`."""


class LinkUsed(LinkInvalid):
    """Genuine but used already."""


def allow_link_request(*, ip: str | None, email: str) -> bool:
    limits = {**RATE_LIMITS, **getattr(settings, "SELFSERVICE_RATE_LIMITS", {})}
    return allow_per_address_and_email(scope="selfservice", ip=ip, email=email, limits=limits)


def link_token(link: SignInLink) -> str:
    return signing.dumps({"l": link.pk, "n": link.nonce}, salt=SALT)


def request_sign_in_link(*, email: str, language: str) -> None:
    """Queue the link for this work e-mail: the same work whether or not the portal holds it.

    The job gets the address' blind index, never the address: task messages carry no personal
    data in clear. The index is the keyed hash the people table is searched by; a reader of
    the broker without `BLIND_INDEX_KEY` learns nothing from it."""
    email_index = blind_index(email.strip())
    if email_index is None:
        return
    from selfservice.tasks import issue_sign_in_link

    transaction.on_commit(lambda: issue_sign_in_link.delay(email_index, language))


@transaction.atomic
def issue_sign_in_link(
    *, email_index: str, language: str, now: dt.datetime | None = None
) -> SignInLink | None:
    """The job's body: a link for the person with this work e-mail's blind index, e-mailed
    after commit; None (and nothing sent) for an address the portal does not hold. Run twice,
    it sends a second link, which harms nobody: each works once and both expire."""
    now = now or timezone.now()
    subject = (
        DataSubject.objects.active().filter(work_email_index=email_index).order_by("pk").first()
    )
    if subject is None:
        return None
    link = SignInLink.objects.create(
        subject=subject, nonce=secrets.token_urlsafe(24), language=language, created_at=now
    )
    # Links older than a day are of no use to anyone: they go when a new one is made.
    SignInLink.objects.filter(created_at__lt=now - dt.timedelta(days=1)).delete()
    record_event(action="selfservice.link_sent", actor="self-service", target=subject)
    from selfservice.tasks import send_sign_in_link

    link_id = link.pk
    transaction.on_commit(lambda: send_sign_in_link.delay(link_id))
    return link


def send_link_email(*, link_id: int) -> bool:
    """The task's body: e-mail the link once (a claimed or vanished link sends nothing)."""
    link = SignInLink.objects.select_related("subject").filter(pk=link_id).first()
    if link is None or not link.nonce or not link.subject.work_email:
        return False
    url = absolute_url(reverse("selfservice:open", args=[link_token(link)]), language=link.language)
    build_service_email(
        to=link.subject.work_email,
        template_base="sign_in_link",
        context={"url": url, "minutes": LINK_MINUTES},
        language=link.language,
    ).send()
    return True


def _payload(token: str) -> tuple[int, str]:
    try:
        data = signing.loads(token, salt=SALT, max_age=LINK_MINUTES * 60)
    except signing.SignatureExpired:
        raise LinkExpired() from None
    except signing.BadSignature:
        raise LinkInvalid() from None
    if not isinstance(data, dict) or not isinstance(data.get("l"), int):
        raise LinkInvalid()
    nonce = data.get("n")
    if not isinstance(nonce, str) or not nonce:
        raise LinkInvalid()
    return data["l"], nonce


def check_link(token: str) -> None:
    """Whether a token could still sign in, without using it (the page before the button)."""
    link_id, nonce = _payload(token)
    if not SignInLink.objects.filter(pk=link_id, nonce=nonce).exists():
        raise LinkUsed()


@transaction.atomic
def use_sign_in_link(*, token: str, now: dt.datetime | None = None) -> DataSubject:
    """The person behind a link, which is used up; raises `LinkInvalid` (or a subclass)."""
    now = now or timezone.now()
    link_id, nonce = _payload(token)
    claimed = SignInLink.objects.filter(pk=link_id, nonce=nonce, used_at__isnull=True).update(
        nonce="", used_at=now
    )
    if not claimed:
        raise LinkUsed()
    link = SignInLink.objects.get(pk=link_id)
    subject = DataSubject.objects.active().filter(pk=link.subject_id).first()
    if subject is None:
        raise LinkInvalid()  # erased or anonymised since the link was sent
    record_event(action="selfservice.signed_in", actor=subject_actor(subject.pk), target=subject)
    return subject
