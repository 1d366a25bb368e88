"""The register of requests as CSV (GDPR Art. 5(2): the operator accounts for every request).

No requester data: reference, right, channel, dates, status, assignee and outcome. Every cell
is neutralised against formula injection: a spreadsheet runs a cell beginning with `=`, `+`,
`-` or `@` (or tab or carriage return) as a formula, so such cells get a leading `'`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse

from core.timeutil import legal_date, legal_zone
from subject_requests.choices import Status
from subject_requests.models import SubjectRequest

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

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


def neutralise(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def register_line(r: SubjectRequest) -> list[str]:
    """One request; "due" is the legal due day (rolled to a working day)."""
    zone = legal_zone()
    return [
        neutralise(cell)
        for cell in (
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
        )
    ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def register_csv(requests: Iterable[SubjectRequest], *, filename: str) -> StreamingHttpResponse:
    """Streamed, so a register of any length never sits in memory."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(REGISTER_HEADER)
        for r in requests:
            yield writer.writerow(register_line(r))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
