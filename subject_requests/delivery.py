"""The requester's download link: signed, for one request (so one person's documents), and
valid `ANSWER_LINK_DAYS` days. Issuing a new link (another nonce) voids the previous one; a
tampered or foreign token is refused; every download is an audit event."""

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
from core.links import public_link
from core.timeutil import legal_date
from subject_requests.models import Answer, AnswerQuerySet, SubjectRequest

SALT = "subject_requests.answers"


class LinkExpired(Exception):
    """A genuine link whose days are over: the page offers a new one."""

    def __init__(self, request: SubjectRequest) -> None:
        self.request = request
        super().__init__("expired")


class LinkInvalid(Exception):
    """Tampered, foreign or replaced by a newer link."""


def link_days() -> int:
    return int(settings.ANSWER_LINK_DAYS)


def issue_link(request: SubjectRequest) -> str:
    """A new nonce for the request (voiding earlier links) and its signed token. The caller
    saves the request."""
    request.delivery_nonce = secrets.token_urlsafe(16)
    return token_for(request)


def token_for(request: SubjectRequest) -> str:
    return signing.dumps({"r": request.pk, "n": request.delivery_nonce}, salt=SALT, compress=True)


def link_until(issued_at: dt.datetime) -> dt.date:
    return legal_date(issued_at + dt.timedelta(days=link_days()))


def download_url(request: SubjectRequest) -> str:
    path = reverse("requests_public:answers", args=[token_for(request)])
    return public_link(path, language=request.language)


def request_for_token(token: str) -> SubjectRequest:
    """The request a download token opens; raises `LinkExpired` or `LinkInvalid`."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=dt.timedelta(days=link_days()))
    except signing.SignatureExpired:
        payload = signing.loads(token, salt=SALT)  # genuine, only old: say so
        request = _request(payload)
        raise LinkExpired(request) from None
    except signing.BadSignature:
        raise LinkInvalid() from None
    return _request(payload)


def _request(payload: object) -> SubjectRequest:
    if not isinstance(payload, dict):
        raise LinkInvalid()
    request_id, nonce = payload.get("r"), payload.get("n")
    if not isinstance(request_id, int):
        raise LinkInvalid()
    request = SubjectRequest.objects.filter(pk=request_id).first()
    if request is None or not nonce or request.delivery_nonce != nonce:
        raise LinkInvalid()
    return request


@dataclass(frozen=True)
class Download:
    content: bytes
    file_name: str
    content_type: str


def documents_for(request: SubjectRequest) -> AnswerQuerySet:
    """What the link serves: the request's reviewed documents and its letters."""
    return (
        Answer.objects.filter(request=request)
        .deliverable()
        .current()
        .order_by("requested_at", "id")
    )


def download(request: SubjectRequest, answer_id: int) -> Download | None:
    answer = documents_for(request).filter(pk=answer_id).first()
    if answer is None or answer.content is None:
        return None
    Answer.objects.filter(pk=answer.pk).update(downloads=F("downloads") + 1)
    record_event(
        action="request.answer_downloaded",
        actor="data subject",
        target=request,
        details={"reference": request.reference, "answer": answer.pk, "kind": answer.kind},
    )
    return Download(
        content=bytes(answer.content),
        file_name=answer.file_name or f"document-{answer.pk}",
        content_type=answer.content_type or "application/octet-stream",
    )


def now_plus_link() -> dt.date:
    return link_until(timezone.now())
