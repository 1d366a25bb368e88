"""The register of requests as CSV (GDPR Art. 5(2): the operator accounts for every request).

No requester data: reference, right, channel, dates, status, assignee and outcome; written
through `core.exports` (cells neutralised against formula injection).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import StreamingHttpResponse

from core.exports import csv_response
from core.timeutil import legal_date, legal_zone
from subject_requests.choices import Status
from subject_requests.models import SubjectRequest

REGISTER_HEADER = [
    "reference",
    "type",
    "channel",
    "received",
    "due",
    "extended",
    "paused days",
    "status",
    "closed",
    "assignee",
    "outcome",
]


def register_line(r: SubjectRequest) -> list[Any]:
    """One request; "due" is the legal due day (rolled to a working day)."""
    zone = legal_zone()
    return [
        r.reference,
        r.type,
        r.channel,
        r.received_at.astimezone(zone).isoformat(timespec="minutes"),
        legal_date(r.due_at).isoformat(),
        legal_date(r.extended_at).isoformat() if r.extended_at else "",
        r.paused_days,
        r.status,
        r.closed_at.astimezone(zone).isoformat(timespec="minutes") if r.closed_at else "",
        r.assignee.get_username() if r.assignee else "",
        Status(r.status).label if r.status in Status.values and not r.is_open else "",
    ]


def register_csv(requests: Iterable[SubjectRequest], *, filename: str) -> StreamingHttpResponse:
    """Streamed, so a register of any length never sits in memory."""
    return csv_response(filename, REGISTER_HEADER, (register_line(r) for r in requests))
