"""One rule for which purposes cover a person: the register's `subject_kinds`.
The subject page, the consent pages and the letters all read `purposes_for_subject`; the
consent pages show the part of it a person can withdraw from or object to."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from consent.selectors import marketable_filter
from processing.models import LegalBasis, Purpose, SubjectKind
from processing.selectors import purposes_for_subject, purposes_to_withdraw_or_object
from subjects.models import DataSubject
from tests import factories as f
from tests.factories import DataSubjectFactory
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db


def subject_page_purposes(client: Client, person: DataSubject) -> list[str]:
    response = client.get(person.get_absolute_url())
    assert response.status_code == 200
    return [entry.purpose.code for entry in response.context["purposes"]]


def subject_page_consent_section(client: Client, person: DataSubject) -> list[str]:
    response = client.get(person.get_absolute_url())
    (section,) = [s for s in response.context["sections"] if "states" in s]
    return [state.purpose.code for state in section["states"]]


def consent_page_purposes(client: Client, person: DataSubject) -> list[str]:
    response = client.get(f"/consent/log/{person.pk}/")
    assert response.status_code == 200
    offered = [p.code for p in response.context["form"].available]
    assert offered == [state.purpose.code for state in response.context["states"]]
    return offered


def contestable(codes: list[str]) -> list[str]:
    purposes = {p.code: p for p in Purpose.objects.all()}
    return [code for code in codes if purposes[code].person_can_withdraw_or_object]


@pytest.mark.parametrize("kind", SubjectKind.values)
def test_the_consent_page_and_the_subject_page_list_the_same_purposes(
    seeded: None, client_for: ClientFor, dpo: User, kind: str
) -> None:
    person = DataSubjectFactory.create(kind=kind)
    client = client_for(dpo)
    covering = subject_page_purposes(client, person)
    assert covering == [e.purpose.code for e in purposes_for_subject(person)]
    on_consent_page = consent_page_purposes(client, person)
    assert on_consent_page == contestable(covering)
    assert subject_page_consent_section(client, person) == on_consent_page
    # Everyone may agree to the newsletter: the seeded consent purpose covers every kind.
    assert "direct-marketing" in on_consent_page


def test_nobody_is_offered_an_objection_to_a_contract_or_a_legal_obligation(
    seeded: None,
) -> None:
    client = DataSubjectFactory.create(kind=SubjectKind.CLIENT)
    covering = {e.purpose.legal_basis for e in purposes_for_subject(client)}
    assert {LegalBasis.CONTRACT, LegalBasis.LEGAL_OBLIGATION} <= covering
    offered = {p.legal_basis for p in purposes_to_withdraw_or_object(client)}
    assert offered == {LegalBasis.CONSENT, LegalBasis.LEGITIMATE_INTEREST}


def test_a_consent_purpose_covers_only_the_kinds_the_register_names(
    seeded: None, client_for: ClientFor, dpo: User
) -> None:
    webinar = Purpose(
        code="client-webinars",
        name="Webinars for clients",
        legal_basis=LegalBasis.CONSENT,
        subject_kinds=[SubjectKind.CLIENT],
    )
    webinar.full_clean()
    webinar.save()
    client = client_for(dpo)
    prospect = DataSubjectFactory.create(kind=SubjectKind.PROSPECT)
    customer = DataSubjectFactory.create(kind=SubjectKind.CLIENT)
    for page in (subject_page_purposes, consent_page_purposes, subject_page_consent_section):
        assert "client-webinars" not in page(client, prospect), page.__name__
        assert "client-webinars" in page(client, customer), page.__name__


def test_the_marketable_audience_follows_the_kinds_a_consent_purpose_covers(
    marketing: Purpose,
) -> None:
    from consent.services import grant_consent

    person = f.DataSubjectFactory.create(kind="user")
    grant_consent(
        subject=person, purpose=marketing, channel="web_form", actor="test", wording="Yes"
    )
    assert marketable_filter(DataSubject.objects.filter(pk=person.pk), purpose=marketing).exists()
    marketing.subject_kinds = [k for k in marketing.subject_kinds if k != "user"]
    marketing.save()
    assert not marketable_filter(
        DataSubject.objects.filter(pk=person.pk), purpose=marketing
    ).exists()
