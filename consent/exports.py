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


AUDIENCE_HEADER = [
    "subject_id", "email", "first_name", "last_name", "organisation", "position", "country",
    "unsubscribe_url",
]  # fmt: skip


def audience_rows(people: Any, purpose: Any) -> Iterator[list[Any]]:
    for person in people.select_related("organisation").iterator(chunk_size=2000):
        yield [
            person.pk,
            person.work_email,
            person.first_name,
            person.last_name,
            person.organisation.name if person.organisation else "",
            person.position,
            str(person.country or ""),
            unsubscribe_url(person, purpose),
        ]
