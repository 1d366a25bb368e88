"""CSV exports: the audience of a purpose (for the marketing tool) and the ledger (auditors),
through `core.exports` (streamed, cells neutralised against formula injection)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from consent.emails import unsubscribe_url

LEDGER_HEADER = [
    "event_id", "occurred_at", "recorded_at", "subject_id", "purpose", "kind", "channel",
    "actor", "policy_version", "wording", "has_evidence",
]  # fmt: skip


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def ledger_rows(events: Any) -> Iterator[list[Any]]:
    # No names or e-mails: auditors check the ledger by subject id.
    for event in events.iterator(chunk_size=2000):
        yield [
            event.pk,
            _iso(event.occurred_at),
            _iso(event.recorded_at),
            event.subject_id,
            event.purpose.code,
            event.kind,
            event.channel,
            event.actor_display,
            event.policy_version.version if event.policy_version else "",
            event.wording,
            "yes" if getattr(event, "has_evidence", False) else "no",
        ]


# Each column of the audience and the person's field it shows (None: the id, or a link made
# for the person): a reader gets the columns of the fields `subjects.field_policy` shows it.
AUDIENCE_COLUMNS: list[tuple[str, str | None]] = [
    ("subject_id", None), ("email", "work_email"), ("first_name", "first_name"),
    ("last_name", "last_name"), ("organisation", "organisation"), ("position", "position"),
    ("country", "country"), ("unsubscribe_url", None),
]  # fmt: skip


def _shown(fields: frozenset[str]) -> list[tuple[str, str | None]]:
    return [(column, name) for column, name in AUDIENCE_COLUMNS if name is None or name in fields]


def audience_header(fields: frozenset[str]) -> list[str]:
    return [column for column, _ in _shown(fields)]


def _cell(person: Any, column: str, purpose: Any) -> Any:
    if column == "subject_id":
        return person.pk
    if column == "email":
        return person.work_email
    if column == "organisation":
        return person.organisation.name if person.organisation else ""
    if column == "country":
        return str(person.country or "")
    if column == "unsubscribe_url":
        return unsubscribe_url(person, purpose)
    return getattr(person, column)


def audience_rows(people: Any, purpose: Any, *, fields: frozenset[str]) -> Iterator[list[Any]]:
    columns = audience_header(fields)
    for person in people.select_related("organisation").iterator(chunk_size=2000):
        yield [_cell(person, column, purpose) for column in columns]
