"""Each consent ledger event as a consent record in the shape of ISO/IEC TS 27560 (consent
record information structure), written with the W3C Data Privacy Vocabulary as its guide
for 27560 does (w3id.org/dpv/guides/consent-27560): JSON-LD whose context is kept in this
repository (`consent/schemas/iso27560-context.jsonld`), so the records expand without a
network, and checked against the JSON Schema kept beside it.

A record is one event — a grant, a withdrawal or an objection — with the record's and the
person's identifiers, the notice (the policy version in force when the person acted, and
the wording shown), the processing it concerns (purpose, data categories, operations, legal
basis, controller, jurisdiction), the time and method of the event, and the status history
of the person's consent for that purpose up to and including this event. Terms DPV has no
word for (the wording, the channel) are in the portal's own `po:` namespace.

A grant is never before its notice took effect: `grant_consent` refuses back-dating and
links the version in force (`policy_in_force`); `consent_record` refuses to state otherwise.
No name or e-mail is in a record: the person is their id, as in the ledger's CSV.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from consent.models import ConsentEvent, EventKind
from core.timeutil import legal_date
from subjects.models import DataSubject

SCHEMAS = Path(__file__).resolve().parent / "schemas"
CONFORMS_TO = "ISO/IEC TS 27560:2023"
STATUS = {
    EventKind.GRANTED: "dpv:ConsentGiven",
    EventKind.WITHDRAWN: "dpv:ConsentWithdrawn",
    # An objection (GDPR Art. 21) refuses processing that rests on legitimate interest.
    EventKind.OBJECTED: "dpv:ConsentRefused",
}
LEGAL_BASES = {
    "consent": "eu-gdpr:A6-1-a",
    "contract": "eu-gdpr:A6-1-b",
    "legal_obligation": "eu-gdpr:A6-1-c",
    "legitimate_interest": "eu-gdpr:A6-1-f",
}
# What the portal does with the data of a consent-based purpose: collects, stores and uses it.
OPERATIONS = ["dpv:Collect", "dpv:Store", "dpv:Use"]
EVENT_FIELDS = ("purpose", "policy_version", "actor")


class InconsistentRecord(ValueError):
    """A ledger row that would make a false record (a grant before its notice took effect)."""


@cache
def context() -> dict[str, Any]:
    document: dict[str, dict[str, Any]] = json.loads(
        (SCHEMAS / "iso27560-context.jsonld").read_text()
    )
    return document["@context"]


@cache
def record_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / "iso27560-record.schema.json").read_text())
    return schema


def _iso(moment: Any) -> str:
    return str(moment.isoformat(timespec="seconds"))


def _controller() -> dict[str, Any]:
    return {
        "@id": "po:controller",
        "name": settings.PRIVACY_CONTROLLER_NAME,
        "contact": f"mailto:{settings.PRIVACY_CONTACT_EMAIL}",
    }


def _notice(event: ConsentEvent) -> dict[str, Any] | None:
    version = event.policy_version
    if version is None:
        return None
    if event.kind == EventKind.GRANTED and legal_date(event.occurred_at) < version.effective_on:
        raise InconsistentRecord(f"consent event {event.pk}: a grant before its notice took effect")
    notice: dict[str, Any] = {
        "@id": f"po:policy:{version.version}",
        "identifier": version.version,
        "version": version.version,
        "validFrom": version.effective_on.isoformat(),
    }
    if event.wording:
        notice["wording"] = event.wording
    return notice


def _processing(event: ConsentEvent, categories: list[dict[str, str]]) -> dict[str, Any]:
    purpose = event.purpose
    return {
        "purpose": {
            "@id": f"po:purpose:{purpose.code}",
            "identifier": purpose.code,
            "title": purpose.name,
        },
        "personalData": categories,
        "operations": OPERATIONS,
        "legalBasis": LEGAL_BASES.get(purpose.legal_basis, "dpv:LegalBasis"),
        "dataController": _controller(),
        "jurisdiction": "loc:EE",
    }


def _status(event: ConsentEvent) -> dict[str, Any]:
    return {
        "event": f"po:consent-event:{event.pk}",
        "consentStatus": STATUS[EventKind(event.kind)],
        "eventType": event.kind,
        "indicatedAtTime": _iso(event.occurred_at),
        "recordedAtTime": _iso(event.recorded_at),
        "method": event.channel,
        "indicatedBy": "dpv:DataSubject" if event.actor_id is None else "dpv:DataController",
    }


def _record(
    event: ConsentEvent, history: list[ConsentEvent], categories: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "@id": f"po:consent-record:{event.pk}",
        "@type": "ConsentRecord",
        "identifier": f"consent-event-{event.pk}",
        "conformsTo": CONFORMS_TO,
        "created": _iso(event.recorded_at),
        "dataSubject": f"po:subject:{event.subject_id}",
        "consentStatus": STATUS[EventKind(event.kind)],
        "notice": _notice(event),
        "processing": _processing(event, categories),
        **{k: v for k, v in _status(event).items() if k not in ("event", "consentStatus")},
        "statusHistory": [_status(e) for e in history],
    }


def _categories(purpose_ids: Iterable[int]) -> dict[int, list[dict[str, str]]]:
    from processing.models import Purpose

    found: dict[int, list[dict[str, str]]] = {}
    for purpose in Purpose.objects.filter(pk__in=set(purpose_ids)).prefetch_related("categories"):
        found[purpose.pk] = [
            {"@id": f"po:data-category:{c.code}", "identifier": c.code, "title": c.name}
            for c in purpose.categories.all()
        ]
    return found


def iter_consent_records(events: QuerySet[ConsentEvent]) -> Iterator[dict[str, Any]]:
    """The records of `events`, without `@context` (a bulk document states it once): the
    ledger of the people concerned is read once, in ledger order, for the histories."""
    events = events.select_related(*EVENT_FIELDS)
    subject_ids = set(events.values_list("subject_id", flat=True))
    ledger: dict[tuple[int, int], list[ConsentEvent]] = {}
    for item in (
        ConsentEvent.objects.filter(subject_id__in=subject_ids)
        .select_related(*EVENT_FIELDS)
        .order_by("occurred_at", "recorded_at", "id")
    ):
        ledger.setdefault((item.subject_id, item.purpose_id), []).append(item)
    categories = _categories(p for _s, p in ledger)
    for event in events.order_by("occurred_at", "recorded_at", "id"):
        history = ledger[(event.subject_id, event.purpose_id)]
        upto = history[: history.index(event) + 1]
        yield _record(event, upto, categories.get(event.purpose_id, []))


def consent_record(event: ConsentEvent) -> dict[str, Any]:
    """One event's record, a JSON-LD document of its own."""
    (record,) = iter_consent_records(ConsentEvent.objects.filter(pk=event.pk))
    return {"@context": context(), **record}


def consent_records_for(subject: DataSubject) -> list[dict[str, Any]]:
    """Every record of one person, each a JSON-LD document of its own."""
    return [
        {"@context": context(), **record}
        for record in iter_consent_records(ConsentEvent.objects.filter(subject=subject))
    ]


def export_document(events: QuerySet[ConsentEvent]) -> dict[str, Any]:
    """Many records in one JSON-LD document: the context once, the records as its graph."""
    return {"@context": context(), "@graph": list(iter_consent_records(events))}
