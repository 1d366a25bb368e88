"""Every record a person is told about has its last day or the criterion
that fixes it (GDPR Art. 15(1)(d), 13(2)(a)) — an invoice kept for an open claim, a request
still open — in the access report, on the self-service pages and on the person's page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User

from reports.collect import collect
from reports.documents import render_access_report
from retention.deadlines import retention_deadline
from subject_requests import services
from subjects.models import DataSubject, Invoice, SubjectKind
from tests import factories as f
from tests.fixture_types import ClientFor
from tests.reports_helpers import pdf_text

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 20)


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def client_with_claim(seeded: None) -> tuple[DataSubject, Invoice]:
    person = f.DataSubjectFactory.create(
        kind=SubjectKind.CLIENT, first_name="Kadri", last_name="Kask", work_email="k@acme.example"
    )
    invoice = f.InvoiceFactory.create(
        organisation=person.organisation, billing_contact=person, number="INV-2020-7"
    )
    f.ClaimFactory.create(subject=person, organisation=person.organisation)
    return person, invoice


def kept_until(person: DataSubject, section: str) -> list[str]:
    data = collect(person, language="en", as_of=TODAY)
    [found] = [s for s in data.sections if s.section.code == section]
    return [kept or "" for _, kept in found.entries]


def test_an_invoice_kept_for_an_open_claim_says_so_and_its_earliest_last_day(
    client_with_claim: tuple[DataSubject, Invoice],
) -> None:
    person, invoice = client_with_claim
    deadline = retention_deadline(invoice, as_of=TODAY)
    assert deadline is not None and deadline.waiting and deadline.expires_on is None
    assert kept_until(person, "invoices") == [
        "kept while a claim it is evidence for is open, and at least until 31 December 2027"
    ]
    person.preferred_language = "en"
    text = words(pdf_text(render_access_report(subject=person)))
    assert "no period set" not in text
    assert (
        "kept while a claim it is evidence for is open, and at least until 31 December 2027" in text
    )

    person.claims.update(closed_on=TODAY)  # the claim ends: the invoice's own rule runs again
    deadline = retention_deadline(invoice, as_of=TODAY)
    assert deadline is not None and not deadline.waiting
    assert deadline.expires_on == dt.date(2027, 12, 31)
    assert kept_until(person, "invoices") == ["31 December 2027"]


def test_an_open_request_is_told_the_period_that_starts_when_it_closes(
    seeded: None, dpo: User
) -> None:
    person = f.DataSubjectFactory.create(first_name="Mari", work_email="mari@acme.example")
    request = services.submit_request(
        type="access", name="Mari", email="mari@acme.example", description="", language="en"
    )
    request = services.verify_manually(request=request, asked="a", shown="b", actor=dpo)
    [kept] = kept_until(person, "requests")
    assert kept == "3 years from the day the request was closed"
    text = words(pdf_text(render_access_report(subject=person, request=request)))
    assert "3 years from the day the request was closed" in text


def test_the_self_service_page_and_the_persons_retention_page_tell_the_same(
    client_with_claim: tuple[DataSubject, Invoice], client_for: ClientFor, dpo: User
) -> None:
    person, _ = client_with_claim
    page = words(client_for(dpo).get(f"/subjects/{person.pk}/retention/").content.decode())
    assert "not yet: kept while a claim it is evidence for is open" in page
