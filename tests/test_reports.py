"""The access report, the portability package and the information sheet."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone
from weasyprint.pdf import fonts as weasyprint_fonts

from core.fields import personal_data_fields
from core.timeutil import legal_zone
from reports.documents import (
    build_access_report,
    render_access_report,
    render_information_report,
)
from reports.portability import portability_package
from reports.sections import (
    NOT_A_PERSONS_DATA,
    PERSON_FIELDS,
    PERSON_MODEL,
    SECTIONS_BY_MODEL,
)
from subjects.models import DataSubject, Invoice
from tests import factories as f
from tests.reports_helpers import canary, pdf_attachments, pdf_page_size_mm, pdf_text

pytestmark = pytest.mark.django_db


def missing_sections(models: list[Any]) -> dict[str, list[str]]:
    """Models with encrypted fields that no report section shows, field by field."""
    person = {c.field.split(".")[0] for c in PERSON_FIELDS}
    missing: dict[str, list[str]] = {}
    for model in models:
        label = model._meta.label_lower
        if label in NOT_A_PERSONS_DATA:
            continue
        shown = (
            person
            if label == PERSON_MODEL
            else (SECTIONS_BY_MODEL[label].fields if label in SECTIONS_BY_MODEL else set())
        )
        absent = [field.name for field in personal_data_fields(model) if field.name not in shown]
        if absent:
            missing[label] = absent
    return missing


def test_every_model_with_personal_data_has_a_report_section_for_every_field() -> None:
    models = [m for m in apps.get_models() if personal_data_fields(m)]
    assert models
    assert missing_sections(models) == {}


def test_a_new_model_without_a_section_fails_the_coverage_check() -> None:
    from django.db import models

    from core.fields import EncryptedTextField

    class Newsletter(models.Model):
        reader_notes = EncryptedTextField(null=True)

        class Meta:
            app_label = "subjects"

        def __str__(self) -> str:
            return "newsletter"

    try:
        assert missing_sections([Newsletter]) == {"subjects.newsletter": ["reader_notes"]}
    finally:
        apps.all_models["subjects"].pop("newsletter", None)
        apps.clear_cache()


def test_the_canary_appears_whole_in_the_access_report(seeded: None) -> None:
    person, markers = canary("Kanar")
    pdf = render_access_report(subject=person)
    text = pdf_text(pdf)
    absent = {name: value for name, value in markers.items() if value not in text}
    assert absent == {}
    assert "29 February 1980" in text  # date of birth
    assert "INV-Kanar" in text
    assert "shown above (67 bytes)" in text  # the photo, as an image
    # Every file is inside the PDF: the evidence, the agent's proof, the request document.
    assert text.count("attached to this PDF as") == 3
    embedded = pdf_attachments(pdf)
    assert len(embedded) == 3 and any(markers["docname"] in name for name in embedded)


def test_nothing_of_a_colleague_appears_in_a_persons_report(seeded: None) -> None:
    company = f.OrganisationFactory.create(name="Shared Company OÜ")
    _colleague, colleague_markers = canary("Naaber", organisation=company)
    person = f.DataSubjectFactory.create(organisation=company, first_name="Mari", last_name="Tamm")
    # The company's invoice and claim belong to the company and the colleague, not to Mari.
    assert Invoice.objects.filter(organisation=company).exists()
    text = pdf_text(render_access_report(subject=person))
    assert "Mari" in text and "Shared Company OÜ" in text
    leaked = {name: value for name, value in colleague_markers.items() if value in text}
    assert leaked == {}


def test_the_report_is_a4_with_a_cover_and_page_numbers(seeded: None) -> None:
    person, _markers = canary("Kaas")
    pdf = build_access_report(subject=person)
    assert pdf.pages >= 2
    text = pdf_text(pdf.content)
    assert "Your personal data" in text and f"Page 2 / {pdf.pages}" in text
    assert pdf_page_size_mm(pdf.content) == (210, 297)  # A4


@pytest.mark.parametrize("subsetter", ["installed", "fontTools"])
def test_building_twice_gives_the_same_document(
    seeded: None, subsetter: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built again two seconds later, the report is the same bytes, whichever font
    subsetter WeasyPrint finds: HarfBuzz's (libharfbuzz-subset, as on CI) or fontTools' (a
    machine without that library), which would stamp the moment into each font."""
    if subsetter == "fontTools":
        monkeypatch.setattr(weasyprint_fonts, "harfbuzz_subset", None)
    person, _markers = canary("Kord")
    first = render_access_report(subject=person)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=2), tick=False):
        assert render_access_report(subject=person) == first


@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "Your personal data"), ("et", "Teie isikuandmed"), ("lv", "Jūsu personas dati")],
)
def test_the_report_is_in_the_persons_language(seeded: None, language: str, heading: str) -> None:
    person = f.DataSubjectFactory.create(preferred_language=language)
    assert heading in pdf_text(render_access_report(subject=person))


def test_the_portability_package_round_trips(seeded: None) -> None:
    person, markers = canary("Porti")
    archive = zipfile.ZipFile(io.BytesIO(portability_package(subject=person)))
    names = set(archive.namelist())
    assert {"data.json", "schema.json", "README.txt", "person.csv", "usage.csv"} <= names
    data = json.loads(archive.read("data.json"))
    assert data["schema_version"] == "1"
    person_row = DataSubject.objects.get(pk=person.pk)
    assert data["person"]["work_email"] == person_row.work_email
    assert data["person"]["first_name"] == person_row.first_name
    assert data["records"]["usage"] == [
        {
            "occurred_at": row.occurred_at.astimezone(legal_zone()).isoformat(),
            "action": row.action,
            "details": row.details,
        }
        for row in person_row.usage_records.all()
    ]
    with archive.open("communications.csv") as handle:
        rows = list(csv.DictReader(io.TextIOWrapper(handle, "utf-8")))
    assert [r["body"] for r in rows] == [markers["body"]]
    assert [r["subject_line"] for r in rows] == [markers["subjectline"]]
    # Written by us, not provided by the person: left out, with the reason.
    left_out = {item["section"]: item["reason"] for item in data["left_out"]}
    assert "invoices" in left_out and "not provided by you" in left_out["invoices"]
    assert "invoices" not in data["records"]
    readme = archive.read("README.txt").decode()
    assert "What was left out, and why" in readme and "data.json" in readme


def test_the_portability_package_validates_against_its_schema(seeded: None) -> None:
    import jsonschema

    person, _markers = canary("Skeem")
    archive = zipfile.ZipFile(io.BytesIO(portability_package(subject=person)))
    schema = json.loads(archive.read("schema.json"))
    jsonschema.validate(json.loads(archive.read("data.json")), schema)


def test_a_prospect_on_legitimate_interest_gets_an_empty_package_that_says_why(
    seeded: None,
) -> None:
    prospect = f.ProspectFactory.create(source="subject", preferred_language="en")
    f.CommunicationFactory.create(subject=prospect)
    data = json.loads(
        zipfile.ZipFile(io.BytesIO(portability_package(subject=prospect))).read("data.json")
    )
    assert data["person"] is None and data["records"].get("communications") is None
    reasons = " ".join(item["reason"] for item in data["left_out"])
    assert "legitimate interest" in reasons


def test_the_information_sheet_names_every_processor_and_transfer_ground(seeded: None) -> None:
    from processing.selectors import holders_of_subject_data

    person = f.DataSubjectFactory.create(country="SG")
    holders = holders_of_subject_data(person)
    text = pdf_text(render_information_report(subject=person))
    assert holders.processors and holders.transfers
    for holder in holders.processors:
        assert holder.party.name in text
    for transfer in holders.transfers:
        assert str(transfer.get_ground_display()).split(" (")[0] in text
    assert "Australia" in text


@pytest.mark.parametrize(
    ("language", "statement"),
    [("en", "(GDPR Art. 22)"), ("et", "(IKÜM art 22)"), ("lv", "(VDAR 22. pants)")],
)
def test_the_report_says_no_decision_about_the_person_is_automated(
    seeded: None, language: str, statement: str
) -> None:
    """GDPR Art. 15(1)(h): the report says whether decisions are automated."""
    person = f.DataSubjectFactory.create(preferred_language=language)
    assert statement in pdf_text(render_access_report(subject=person))


def test_a_processor_serving_only_a_consent_purpose_is_named_only_once_the_person_consented(
    seeded: None,
) -> None:
    """GDPR Art. 15(1)(c): the direct-marketing service holds a client
    user's data only once they consented to the newsletter."""
    from consent.services import grant_consent
    from tests.factories import purpose

    person = f.DataSubjectFactory.create(kind="user", preferred_language="en")
    before = pdf_text(render_access_report(subject=person))
    assert "Pop-up service" in before  # it serves the service too
    assert "Direct marketing service" not in before
    grant_consent(
        subject=person, purpose=purpose("direct-marketing"), channel="web_form",
        actor="data subject", wording="Newsletter",
    )  # fmt: skip
    after = pdf_text(render_access_report(subject=person))
    assert "Direct marketing service — only if you agree to it" in after


def test_the_operators_notes_on_a_person_never_go_into_the_portability_package(
    seeded: None,
) -> None:
    """GDPR Art. 20(1), 20(4): a legal hold's, a restriction's and an
    erasure flag's reasons are the operator's words and may name others."""
    person = f.DataSubjectFactory.create(
        kind="client", source="subject", legal_hold_reason="Case 12/2026 against Jaan Kask",
        restriction_reason="Accuracy contested", erasure_flag_reason="Asked by phone",
    )  # fmt: skip
    archive = zipfile.ZipFile(io.BytesIO(portability_package(subject=person)))
    content = archive.read("data.json").decode() + archive.read("person.csv").decode()
    schema = json.loads(archive.read("schema.json"))
    assert json.loads(archive.read("data.json"))["person"]["work_email"] == person.work_email
    for note in ("Jaan Kask", "Accuracy contested", "Asked by phone", "legal_hold_reason"):
        assert note not in content
    assert "legal_hold_reason" not in schema["properties"]["person"]["properties"]
    assert "Case 12/2026 against Jaan Kask" in pdf_text(render_access_report(subject=person))
