"""The download links of a request's documents: signed, for one request (so one person's
documents), and valid `ANSWER_LINK_DAYS` days. Issuing a new link (another nonce) voids the
previous one; a tampered or foreign token is refused; every download is an audit event.

Two audiences hold such links, each with its own salt and nonce, so neither's link opens
the other's page: the requester (their documents and letters), and the company a
portability request named to receive the package (GDPR Art. 20(2), confirmed by the DPO:
the package only)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from core.audit import record_event
from core.crypto import blind_index
from core.links import public_link
from core.timeutil import legal_date
from subject_requests.choices import Transmission
from subject_requests.models import Answer, AnswerQuerySet, SubjectRequest

SALT = "subject_requests.answers"


@dataclass(frozen=True)
class Audience:
    """Who a link is for: how its token is signed and checked, the page it opens, and who
    the audit log says downloaded."""

    salt: str
    nonce_field: str
    page: str
    download_page: str
    actor: str
    downloaded: str


REQUESTER = Audience(
    salt=SALT,
    nonce_field="delivery_nonce",
    page="requests_public:answers",
    download_page="requests_public:answer_download",
    actor="data subject",
    downloaded="request.answer_downloaded",
)
RECEIVER = Audience(
    salt="subject_requests.answers.receiver",
    nonce_field="receiver_nonce",
    page="requests_public:transfer",
    download_page="requests_public:transfer_download",
    actor="receiving company",
    downloaded="request.package_downloaded_by_receiver",
)


class LinkExpired(Exception):
    """A genuine link whose days are over: the page offers a new one."""

    def __init__(self, request: SubjectRequest) -> None:
        self.request = request
        super().__init__("expired")


class LinkInvalid(Exception):
    """Tampered, foreign or replaced by a newer link."""


def link_days() -> int:
    return int(settings.ANSWER_LINK_DAYS)


def issue_link(request: SubjectRequest, audience: Audience = REQUESTER) -> str:
    """A new nonce for the request (voiding earlier links of the audience) and its signed
    token. The caller saves the request."""
    setattr(request, audience.nonce_field, secrets.token_urlsafe(16))
    return token_for(request, audience)


def token_for(request: SubjectRequest, audience: Audience = REQUESTER) -> str:
    nonce = getattr(request, audience.nonce_field)
    return signing.dumps({"r": request.pk, "n": nonce}, salt=audience.salt, compress=True)


def link_until(issued_at: dt.datetime) -> dt.date:
    return legal_date(issued_at + dt.timedelta(days=link_days()))


def download_url(request: SubjectRequest, audience: Audience = REQUESTER) -> str:
    """The link as e-mailed: in the requester's language, or in English for the receiving
    company (its e-mail is in English)."""
    path = reverse(audience.page, args=[token_for(request, audience)])
    language = request.language if audience == REQUESTER else "en"
    return public_link(path, language=language)


def request_for_token(token: str, audience: Audience = REQUESTER) -> SubjectRequest:
    """The request a download token opens; raises `LinkExpired` or `LinkInvalid`."""
    salt = audience.salt
    try:
        payload = signing.loads(token, salt=salt, max_age=dt.timedelta(days=link_days()))
    except signing.SignatureExpired:
        payload = signing.loads(token, salt=salt)  # genuine, only old: say so
        request = _request(payload, audience)
        raise LinkExpired(request) from None
    except signing.BadSignature:
        raise LinkInvalid() from None
    return _request(payload, audience)


def _request(payload: object, audience: Audience) -> SubjectRequest:
    if not isinstance(payload, dict):
        raise LinkInvalid()
    request_id, nonce = payload.get("r"), payload.get("n")
    if not isinstance(request_id, int):
        raise LinkInvalid()
    request = SubjectRequest.objects.filter(pk=request_id).first()
    if request is None or not nonce or getattr(request, audience.nonce_field) != nonce:
        raise LinkInvalid()
    if audience == RECEIVER and not (
        request.transmission == Transmission.CONFIRMED and request.receiver_email
    ):
        raise LinkInvalid()
    return request


@dataclass(frozen=True)
class Download:
    content: bytes
    file_name: str
    content_type: str


def documents_for(request: SubjectRequest, audience: Audience = REQUESTER) -> AnswerQuerySet:
    """What the link serves: the request's reviewed documents and its letters; to the
    receiving company, the documents alone (the letters are the requester's)."""
    documents = (
        Answer.objects.filter(request=request)
        .deliverable()
        .current()
        .order_by("requested_at", "id")
    )
    return documents.documents() if audience == RECEIVER else documents


def download(
    request: SubjectRequest, answer_id: int, audience: Audience = REQUESTER
) -> Download | None:
    answer = documents_for(request, audience).filter(pk=answer_id).first()
    if answer is None or answer.content is None:
        return None
    Answer.objects.filter(pk=answer.pk).update(downloads=F("downloads") + 1)
    details = {"reference": request.reference, "answer": answer.pk, "kind": answer.kind}
    if audience == RECEIVER:
        # Which address the link went to, as a keyed hash: the log holds no address.
        details["receiver_index"] = blind_index(request.receiver_email)
    record_event(action=audience.downloaded, actor=audience.actor, target=request, details=details)
    return Download(
        content=bytes(answer.content),
        file_name=answer.file_name or f"document-{answer.pk}",
        content_type=answer.content_type or "application/octet-stream",
    )


def now_plus_link() -> dt.date:
    return link_until(timezone.now())
