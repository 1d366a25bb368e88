"""Requests from inside: filed without typing identity again, followed and
withdrawn by the signed-in person; only requests matched to them are shown or touched."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from core.audit import subject_actor
from subject_requests import services
from subject_requests.choices import RequestType
from subject_requests.models import SubjectRequest
from subjects.models import DataSubject


def own_requests(subject: DataSubject) -> list[tuple[SubjectRequest, str]]:
    """The person's requests, newest first, each with the key of its public status page."""
    found = SubjectRequest.objects.filter(subjects=subject).order_by("-received_at", "-id")[:50]
    return [(request, services.status_token(request)) for request in found]


def own_request(subject: DataSubject, request_id: int) -> SubjectRequest | None:
    return SubjectRequest.objects.filter(pk=request_id, subjects=subject).first()


def file_request(
    *,
    subject: DataSubject,
    type: str,
    description: str,
    language: str,
    now: dt.datetime | None = None,
) -> SubjectRequest:
    if type not in RequestType.values:
        raise services.RequestError("unknown right")
    return services.submit_verified_request(
        type=type, subject=subject, description=description, language=language,
        actor=subject_actor(subject.pk), now=now or timezone.now(),
    )  # fmt: skip


def withdraw_own_request(*, subject: DataSubject, request_id: int) -> SubjectRequest | None:
    """None when the request is not theirs or no longer open; else it is withdrawn."""
    request = own_request(subject, request_id)
    if request is None or not request.is_open:
        return None
    return services.withdraw_request(request=request, actor=subject_actor(subject.pk))
