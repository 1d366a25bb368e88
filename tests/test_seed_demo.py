from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from core.models import AuditEvent
from core.timeutil import legal_today
from subjects import guards
from subjects.models import (
    Claim,
    Communication,
    DataSubject,
    Demo,
    Invoice,
    KindChange,
    NameToken,
    Organisation,
    OrganisationStatus,
    SubjectKind,
    Trial,
    TrialContent,
    UsageRecord,
)

pytestmark = pytest.mark.django_db


def seed(n: int = 1000, *args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--subjects", str(n), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_seed_demo_builds_a_varied_population_of_1000(seeded: None) -> None:
    output = seed(1000)
    assert "1000 subjects" in output
    assert DataSubject.objects.count() == 1000
    assert set(DataSubject.objects.values_list("kind", flat=True)) == set(SubjectKind.values)
    assert set(Organisation.objects.values_list("status", flat=True)) == set(
        OrganisationStatus.values
    )
    countries = set(Organisation.objects.values_list("country", flat=True))
    assert {"AU", "SG", "EE"} <= countries and len(countries) >= 6
    assert Trial.objects.filter(converted_on__isnull=False).exists()
    assert Trial.objects.filter(converted_on__isnull=True, ended_on__isnull=False).exists()
    assert Trial.objects.filter(ended_on__isnull=True).exists()
    assert TrialContent.objects.exists() and Demo.objects.exists()
    years = set(Invoice.objects.values_list("issued_on__year", flat=True))
    assert len(years) >= 4
    assert Claim.objects.filter(closed_on__isnull=True).exists()
    assert Claim.objects.filter(closed_on__isnull=False).exists()
    assert Communication.objects.count() > 500
    assert UsageRecord.objects.count() > 500
    # Every person has a kind history; some changed kind.
    assert KindChange.objects.values("subject").distinct().count() == 1000
    assert KindChange.objects.exclude(previous_kind="").exists()
    event = AuditEvent.objects.get(action="subjects.demo_seeded")
    assert event.details["subjects"] == 1000


def test_the_demo_population_respects_the_guards(seeded: None) -> None:
    seed(400)
    today = legal_today()
    for subject in DataSubject.objects.all():
        if subject.is_prospect:
            assert subject.date_of_birth is None
            assert subject.photo is None
            assert subject.work_address is None
        if subject.date_of_birth:
            assert guards.is_adult(subject.date_of_birth, on=today)
        if subject.photo:
            assert guards.photo_errors(subject.photo) == []
    emails = [s.work_email for s in DataSubject.objects.all()]
    assert len(set(emails)) == len(emails)


def test_the_same_seed_gives_the_same_people(seeded: None) -> None:
    seed(50, "--seed", "3")
    first = list(DataSubject.objects.order_by("pk").values_list("first_name", "last_name", "kind"))
    DataSubject.objects.all().delete()
    seed(50, "--seed", "3")
    second = list(DataSubject.objects.order_by("pk").values_list("first_name", "last_name", "kind"))
    assert first == second


def test_the_seeded_people_are_found_by_the_words_of_their_names(seeded: None) -> None:
    from core.crypto import name_tokens

    seed(100)
    people = list(DataSubject.objects.all())
    words = {p.pk: name_tokens(p.first_name) + name_tokens(p.last_name) for p in people}
    assert NameToken.objects.count() == sum(len(w) for w in words.values())
    for person in people[:10]:
        # Typed without accents, in capitals: the demo's names are Baltic and Nordic.
        typed = " ".join(words[person.pk]).upper()
        assert person in DataSubject.objects.search(typed)


def test_if_empty_does_nothing_when_people_exist(seeded: None) -> None:
    seed(20)
    output = seed(20, "--if-empty")
    assert "nothing seeded" in output
    assert DataSubject.objects.count() == 20


def test_seeding_twice_without_if_empty_adds_people_with_fresh_emails(seeded: None) -> None:
    seed(20)
    seed(20)
    emails = [s.work_email for s in DataSubject.objects.all()]
    assert len(set(emails)) == 40


def test_invoices_fall_in_the_contract_period(seeded: None) -> None:
    seed(300)
    for invoice in Invoice.objects.select_related("organisation"):
        organisation = invoice.organisation
        assert organisation is not None and organisation.contract_started_on is not None
        assert organisation.contract_started_on <= invoice.issued_on
        assert invoice.issued_on <= (organisation.contract_ended_on or dt.date.max)
