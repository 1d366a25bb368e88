from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditEvent
from processing.models import (
    DataCategory,
    LegalBasis,
    Processor,
    ProcessorCategory,
    Purpose,
    Recipient,
    Transfer,
    TransferGround,
)
from processing.selectors import holders_of_subject_data, purposes_for_subject
from subjects.models import SubjectKind
from tests.factories import DataSubjectFactory, ProspectFactory
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db


# The privacy policy's purposes: each purpose and its Art. 6(1) basis.
SECTION_C = {
    "contract": (LegalBasis.CONTRACT, ["client"]),
    "service": (LegalBasis.LEGITIMATE_INTEREST, ["client_representative", "user"]),
    "prospect-marketing": (
        LegalBasis.LEGITIMATE_INTEREST,
        ["prospect", "prospect_representative"],
    ),
    "legal-claims": (LegalBasis.LEGITIMATE_INTEREST, list(SubjectKind.values)),
    "direct-marketing": (LegalBasis.CONSENT, list(SubjectKind.values)),
    "legal-obligation": (LegalBasis.LEGAL_OBLIGATION, ["client"]),
}


def test_a_fresh_database_holds_every_purpose_of_section_c_with_its_basis(seeded: None) -> None:
    seeded_purposes = {p.code: p for p in Purpose.objects.all()}
    assert set(seeded_purposes) == set(SECTION_C)
    for code, (basis, kinds) in SECTION_C.items():
        purpose = seeded_purposes[code]
        assert purpose.legal_basis == basis, code
        assert sorted(purpose.subject_kinds) == sorted(kinds), code
        if purpose.is_legitimate_interest:
            assert all(text for _, text in purpose.legitimate_interest_assessment), code


def test_the_migration_alone_seeds_the_register_without_seed_policy() -> None:
    # The test database is built by migrations: 0004_seed_register must have run.
    assert Purpose.objects.count() == 6
    assert DataCategory.objects.count() == 5
    assert ProcessorCategory.objects.count() == 9


def test_seed_policy_is_idempotent(seeded: None) -> None:
    call_command("seed_policy", verbosity=0)
    call_command("seed_policy", verbosity=0)
    assert Purpose.objects.count() == 6
    assert Processor.objects.count() == 10
    assert Transfer.objects.count() == 2


def test_the_five_data_categories_and_nine_processor_categories_are_seeded(
    seeded: None,
) -> None:
    assert list(DataCategory.objects.values_list("code", flat=True)) == [
        "identification",
        "contact",
        "employment",
        "communication",
        "usage",
    ]
    assert ProcessorCategory.objects.count() == 9
    assert DataCategory.objects.get(code="identification").fields == [
        "first_name",
        "last_name",
        "date_of_birth",
        "photo",
    ]


def test_the_us_transfer_rests_on_dpf_certification_with_its_check_date(seeded: None) -> None:
    us = Transfer.objects.get(destination_country="US")
    assert us.ground == TransferGround.DPF
    assert us.certification_checked_on is not None
    assert us.processor is not None
    assert us.subject_countries == []


def test_the_australian_storage_rests_on_standard_contractual_clauses(seeded: None) -> None:
    au = Transfer.objects.get(destination_country="AU")
    assert au.ground == TransferGround.SCC
    assert sorted(au.subject_countries) == ["AU", "KH", "MY", "NZ", "SG"]


# --- who holds a person's data --------------------------------------------------------------


def names(holders: list[Any]) -> set[str]:
    return {h.party.name for h in holders}


def test_a_users_data_goes_to_their_client_and_the_service_processors(seeded: None) -> None:
    user = DataSubjectFactory.create(kind=SubjectKind.USER, country="EE")
    holders = holders_of_subject_data(user)
    assert "The client (the person's company)" in names(holders.recipients)
    assert "Auditors" not in names(holders.recipients)
    assert {"Cloud hosting (EU)", "Messaging service", "E-mail delivery service"} <= names(
        holders.processors
    )
    assert "Payment provider" not in names(holders.processors)
    assert "Cloud storage (Australia)" not in names(holders.processors)
    assert [t.destination_country.code for t in holders.transfers] == ["US"]


def test_a_clients_data_goes_to_auditors_and_the_payment_provider(seeded: None) -> None:
    client = DataSubjectFactory.create(kind=SubjectKind.CLIENT, country="FI")
    holders = holders_of_subject_data(client)
    assert "Auditors" in names(holders.recipients)
    assert "The client (the person's company)" not in names(holders.recipients)
    assert {"Payment provider", "Accountants"} <= names(holders.processors)


@pytest.mark.parametrize("country", ["AU", "KH", "MY", "NZ", "SG"])
def test_people_in_the_five_countries_also_have_their_data_in_australia(
    seeded: None, country: str
) -> None:
    subject = DataSubjectFactory.create(country=country)
    holders = holders_of_subject_data(subject)
    assert "Cloud storage (Australia)" in names(holders.processors)
    grounds = {t.destination_country.code: t.ground for t in holders.transfers}
    assert grounds == {"US": TransferGround.DPF, "AU": TransferGround.SCC}


def test_a_prospect_is_covered_by_marketing_and_direct_marketing_only_with_consent(
    seeded: None,
) -> None:
    prospect = ProspectFactory.create()
    entries = {e.purpose.code: e.only_with_consent for e in purposes_for_subject(prospect)}
    assert entries == {
        "prospect-marketing": False,
        "legal-claims": False,
        "direct-marketing": True,
    }
    holders = holders_of_subject_data(prospect)
    assert "Direct marketing service" in names(holders.processors)
    pop_up = [h for h in holders.processors if h.party.name == "Pop-up service"]
    # The pop-up service holds a prospect's data only through direct marketing (consent).
    assert pop_up and pop_up[0].only_with_consent


def test_working_out_the_holders_takes_a_constant_number_of_queries(seeded: None) -> None:
    subject = DataSubjectFactory.create(country="SG")
    with CaptureQueriesContext(connection) as first:
        holders_of_subject_data(subject)
    category = ProcessorCategory.objects.first()
    assert category is not None
    Processor.objects.create(
        name="Extra processor",
        category=category,
        country="EE",
    ).purposes.set(Purpose.objects.all())
    Recipient.objects.create(name="Extra", kind="other", legal_basis="consent").purposes.set(
        Purpose.objects.all()
    )
    with CaptureQueriesContext(connection) as second:
        holders_of_subject_data(subject)
    assert len(first) == len(second) <= 8


# --- the register page -------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["dpo", "auditor", "admin_user"])
def test_the_register_page_lists_purposes_bases_processors_and_transfers(
    seeded: None, client_for: ClientFor, persona: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(persona)
    response = client_for(user).get("/processing/")
    assert response.status_code == 200
    html = response.content.decode()
    for purpose in Purpose.objects.all():
        assert purpose.name in html
    assert "Legitimate interest — Art. 6(1)(f)" in html
    assert "B2B data about the person&#x27;s professional role" in html
    assert "EU–US Data Privacy Framework certification" in html
    assert "Standard contractual clauses" in html
    assert "Cloud storage (Australia)" in html


def test_staff_cannot_open_the_register(seeded: None, client_for: ClientFor, staff: User) -> None:
    assert client_for(staff).get("/processing/").status_code == 403


def test_an_admin_change_to_the_register_is_audited(
    seeded: None, client_for: ClientFor, admin_user: User
) -> None:
    processor = Processor.objects.get(name="Payment provider")
    client = client_for(admin_user)
    url = f"/admin/processing/processor/{processor.pk}/change/"
    form = client.get(url)
    assert form.status_code == 200
    response = client.post(
        url,
        {
            "name": "Payment provider",
            "category": processor.category_id,
            "country": "NL",
            "dpa_reference": "DPA-2024-7",
            "dpa_signed_on": "2024-05-01",
            "purposes": [p.pk for p in processor.purposes.all()],
            "transfers-TOTAL_FORMS": "0",
            "transfers-INITIAL_FORMS": "0",
            "transfers-MIN_NUM_FORMS": "0",
            "transfers-MAX_NUM_FORMS": "1000",
            "sub_processors-TOTAL_FORMS": "0",
            "sub_processors-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="processing.processor.updated")
    assert event.actor == admin_user
    assert event.details == {"fields": ["dpa_reference", "dpa_signed_on"]}
