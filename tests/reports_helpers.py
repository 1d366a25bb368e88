"""Helpers for the answer-document tests: a canary person with one row in every model that
holds personal data, and PDF text extraction."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.utils import timezone
from pypdf import PdfReader

from consent.models import ConsentEvent, ConsentEvidence, ObjectionReview, PendingSubscription
from subject_requests.models import Answer, TimelineEntry
from subjects.models import (
    Claim,
    Communication,
    DataSubject,
    Demo,
    Invoice,
    KindChange,
    Organisation,
    Trial,
    TrialContent,
    UsageRecord,
)
from tests import factories as f

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def _reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, page after page, whitespace collapsed (pypdf: no system tool needed)."""
    text = " ".join(page.extract_text() for page in _reader(pdf).pages)
    return " ".join(text.split())


def pdf_page_size_mm(pdf: bytes) -> tuple[int, int]:
    """The first page's width and height in millimetres, rounded (A4 is 210 x 297)."""
    box = _reader(pdf).pages[0].mediabox
    return round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)


def pdf_attachments(pdf: bytes) -> list[str]:
    """The names of the files embedded in a PDF."""
    return list(_reader(pdf).attachments)


def canary(
    tag: str, *, organisation: Organisation | None = None
) -> tuple[DataSubject, dict[str, str]]:
    """A person with one row in every model with encrypted fields; every encrypted text value
    is a marker `<tag>-<field>` so a test can find each one in a document."""
    organisation = organisation or f.OrganisationFactory.create(name=f"{tag} Company OÜ")
    m = {
        name: f"{tag}{name}"
        for name in (
            "first", "last", "address", "phone", "content", "notes", "bname", "baddress",
            "claim", "subjectline", "body", "evidence", "reasoning", "reqname", "reqdesc",
            "agent", "proofname", "verify", "timeline", "docname", "position", "pendname",
        )
    }  # fmt: skip
    m["email"] = f"{tag.lower()}@canary.example"
    m["bemail"] = f"{tag.lower()}.billing@canary.example"
    m["usage"] = f"{tag}usage"
    person = f.DataSubjectFactory.create(
        kind="client",
        preferred_language="en",
        first_name=m["first"],
        last_name=m["last"],
        date_of_birth=dt.date(1980, 2, 29),
        photo=PNG,
        photo_content_type="image/png",
        work_address=m["address"],
        work_phone=m["phone"],
        work_email=m["email"],
        position=m["position"],
        organisation=organisation,
    )
    KindChange.objects.create(subject=person, kind="client", changed_on=dt.date(2024, 1, 1))
    trial = Trial.objects.create(organisation=organisation, started_on=dt.date(2024, 1, 1))
    TrialContent.objects.create(trial=trial, author=person, title="Notes", content=m["content"])
    Demo.objects.create(subject=person, held_on=dt.date(2024, 2, 1), notes=m["notes"])
    Invoice.objects.create(
        organisation=organisation,
        billing_contact=person,
        number=f"INV-{tag}",
        issued_on=dt.date(2024, 3, 1),
        billing_name=m["bname"],
        billing_email=m["bemail"],
        billing_address=m["baddress"],
        amount=Decimal("10.00"),
    )
    Claim.objects.create(
        subject=person, organisation=organisation, fell_due_on=dt.date(2024, 4, 1),
        description=m["claim"],
    )  # fmt: skip
    Communication.objects.create(
        subject=person, direction="inbound", sent_at=timezone.now(),
        subject_line=m["subjectline"], body=m["body"],
    )  # fmt: skip
    UsageRecord.objects.create(
        subject=person, occurred_at=timezone.now(), action="login", details={"k": m["usage"]}
    )
    event = ConsentEvent.objects.create(
        subject=person,
        purpose=f.purpose("direct-marketing"),
        kind="granted",
        channel="web_form",
        actor_label="data subject",
        wording="Yes please",
        occurred_at=timezone.now(),
    )
    ConsentEvidence.objects.create(event=event, text=m["evidence"], file=b"%PDF", file_name="e.pdf")
    objected = ConsentEvent.objects.create(
        subject=person,
        purpose=f.purpose("legal-claims"),
        kind="objected",
        channel="email",
        actor_label="staff",
        occurred_at=timezone.now(),
    )
    ObjectionReview.objects.create(
        event=objected,
        subject=person,
        purpose=f.purpose("legal-claims"),
        opened_at=timezone.now(),
        status="rejected",
        reasoning=m["reasoning"],
    )
    PendingSubscription.objects.create(
        email=m["email"], name=m["pendname"], wording="Newsletter, please", nonce="unused"
    )
    request = f.SubjectRequestFactory.create(
        requester_name=m["reqname"],
        requester_email=m["email"],
        description=m["reqdesc"],
        via_agent=True,
        agent_name=m["agent"],
        agent_proof=b"proof",
        agent_proof_name=m["proofname"],
        verification_note=m["verify"],
        status="in_progress",
    )
    request.subjects.add(person)
    TimelineEntry.objects.create(
        request=request, kind="note", summary="Internal note", body=m["timeline"]
    )
    TimelineEntry.objects.create(
        request=request, kind="document", summary="Document", document=b"x",
        document_name=m["docname"],
    )  # fmt: skip
    Answer.objects.create(
        request=request, subject=person, kind="access_report", status="ready", content=b"%PDF"
    )
    return person, m


def seeded_purpose_codes() -> list[str]:
    from processing.models import Purpose

    return list(Purpose.objects.values_list("code", flat=True))


def any_value(*values: Any) -> Any:
    return next(v for v in values if v)
