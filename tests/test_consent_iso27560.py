"""Consent records in the ISO/IEC TS 27560 shape: they validate against the
JSON Schema the project keeps, expand as JSON-LD with no network, carry their status history,
and never state a grant before its notice took effect."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import jsonschema
import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from pyld import jsonld

from consent import iso27560
from consent.models import Channel, ConsentEvent, EventKind, PolicyVersion
from consent.services import grant_consent, object_to_processing, withdraw_consent
from core.models import AuditEvent
from processing.models import Purpose
from subjects.models import DataSubject
from tests.factories import DataSubjectFactory, ProspectFactory, purpose
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

DPV = "https://w3id.org/dpv#"
DCT = "http://purl.org/dc/terms/"
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)


def _no_network(url: str, options: Any = None) -> Any:
    raise AssertionError(f"JSON-LD tried to fetch {url}")


@pytest.fixture(autouse=True)
def _offline() -> Any:
    previous = jsonld.get_document_loader()
    jsonld.set_document_loader(_no_network)
    yield
    jsonld.set_document_loader(previous)


@pytest.fixture
def subscriber(marketing: Purpose) -> DataSubject:
    person = DataSubjectFactory.create(work_email="mari@example.com")
    with time_machine.travel(NOW, tick=False):
        grant_consent(
            subject=person, purpose=marketing, channel=Channel.WEB_FORM,
            actor="data subject", wording="Send me the newsletter",
        )  # fmt: skip
    with time_machine.travel(NOW + dt.timedelta(days=3), tick=False):
        withdraw_consent(
            subject=person, purpose=marketing, channel=Channel.EMAIL, actor="data subject",
            occurred_at=NOW + dt.timedelta(days=2),
        )  # fmt: skip
    return person


def _validate(record: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(
        iso27560.record_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(record)


def test_the_records_validate_against_the_schema_and_carry_the_status_history(
    subscriber: DataSubject,
) -> None:
    grant, withdrawal = iso27560.consent_records_for(subscriber)

    for record in (grant, withdrawal):
        _validate(record)
    assert grant["consentStatus"] == "dpv:ConsentGiven"
    assert grant["notice"]["wording"] == "Send me the newsletter"
    assert grant["processing"]["legalBasis"] == "eu-gdpr:A6-1-a"
    assert grant["processing"]["personalData"]  # the purpose's data categories
    assert withdrawal["consentStatus"] == "dpv:ConsentWithdrawn"
    assert [h["consentStatus"] for h in withdrawal["statusHistory"]] == [
        "dpv:ConsentGiven",
        "dpv:ConsentWithdrawn",
    ]
    assert withdrawal["indicatedAtTime"] == "2026-03-12T10:00:00+00:00"
    assert "mari@example.com" not in json.dumps(withdrawal)


def test_a_record_is_refused_by_the_schema_without_its_status() -> None:
    with pytest.raises(jsonschema.ValidationError):
        _validate({"@context": {}, "@type": "ConsentRecord"})


def test_the_records_expand_as_json_ld_without_a_network(subscriber: DataSubject) -> None:
    record = iso27560.consent_record(ConsentEvent.objects.get(kind=EventKind.GRANTED))

    (expanded,) = jsonld.expand(record)
    quads = jsonld.to_rdf(record, {"format": "application/n-quads"})

    assert expanded["@type"] == [f"{DPV}ConsentRecord"]
    assert expanded[f"{DPV}hasConsentStatus"] == [{"@id": f"{DPV}ConsentGiven"}]
    assert expanded[f"{DPV}hasDataSubject"] == [{"@id": f"urn:privacyops:subject:{subscriber.pk}"}]
    notice = expanded[f"{DPV}hasNotice"][0]
    assert notice[f"{DCT}hasVersion"][0]["@value"]
    assert f"<{DPV}hasLegalBasis> <https://w3id.org/dpv/legal/eu/gdpr#A6-1-a>" in quads


def test_an_objection_is_a_record_too(seeded: None, staff: User) -> None:
    prospect = ProspectFactory.create()
    object_to_processing(
        subject=prospect, purpose=purpose("prospect-marketing"), channel=Channel.EMAIL,
        actor=staff,
    )  # fmt: skip

    (record,) = iso27560.export_document(ConsentEvent.objects.all())["@graph"]

    _validate({"@context": iso27560.context(), **record})
    assert record["consentStatus"] == "dpv:ConsentRefused"
    assert record["processing"]["legalBasis"] == "eu-gdpr:A6-1-f"


def test_a_grant_cannot_be_dated_before_its_notice_took_effect(
    marketing: Purpose, dpo: User
) -> None:
    person = DataSubjectFactory.create()
    with time_machine.travel(NOW, tick=False):
        PolicyVersion.objects.create(
            version="2026-03-11", full_text="…", effective_on=dt.date(2026, 3, 11)
        )
        # Back-dated before the version in force: refused: a grant may not be back-dated.
        with pytest.raises(ValidationError):
            grant_consent(
                subject=person, purpose=marketing, channel=Channel.WEB_FORM, actor=dpo,
                wording="Newsletter", occurred_at=NOW - dt.timedelta(days=400),
            )  # fmt: skip
        # Given today, the day before the new version: the notice is the one in force today.
        event = grant_consent(
            subject=person, purpose=marketing, channel=Channel.WEB_FORM, actor="data subject",
            wording="Newsletter",
        )  # fmt: skip
    record = iso27560.consent_record(event)
    assert record["notice"]["version"] != "2026-03-11"
    assert record["notice"]["validFrom"] <= record["indicatedAtTime"][:10]

    # A ledger row that claims otherwise (written around the services) is not exported.
    forged = ConsentEvent.objects.create(
        subject=person, purpose=marketing, kind=EventKind.GRANTED, channel=Channel.API,
        wording="Newsletter", occurred_at=NOW,
        policy_version=PolicyVersion.objects.get(version="2026-03-11"),
    )  # fmt: skip
    with pytest.raises(iso27560.InconsistentRecord):
        iso27560.consent_record(forged)


def test_the_ledger_and_a_person_download_their_records(
    client_for: ClientFor, dpo: User, auditor: User, staff: User, subscriber: DataSubject
) -> None:
    bulk = client_for(auditor).get("/consent/ledger.jsonld")
    assert bulk.status_code == 200 and bulk["Content-Type"] == "application/ld+json"
    document = json.loads(bulk.content)
    assert len(document["@graph"]) == 2 and "@context" in document
    assert len(jsonld.expand(document)) == 2

    one = client_for(dpo).get(f"/consent/subjects/{subscriber.pk}/records.jsonld")
    assert len(json.loads(one.content)["@graph"]) == 2
    page = client_for(dpo).get(f"/consent/subjects/{subscriber.pk}/").content.decode()
    assert f"/consent/subjects/{subscriber.pk}/records.jsonld" in page
    assert (
        AuditEvent.objects.filter(
            action="consent.ledger_exported", details__format="iso27560"
        ).count()
        == 2
    )
    assert client_for(staff).get("/consent/ledger.jsonld").status_code == 403
