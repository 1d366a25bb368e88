"""Where a person's data is stored comes from the register's transfers: the EU for
everyone, plus Australia for people located in AU, KH, MY, NZ and SG, because the Australian
storage's transfer says so, not because a constant does."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

import subjects.models
from processing.models import Transfer
from processing.selectors import regional_storage, storage_locations_for
from subjects.models import DataSubject
from tests.factories import DataSubjectFactory
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

AU_BADGE = '<span class="badge">AU</span>'


def australian_storage() -> Transfer:
    return Transfer.objects.get(destination_country="AU")


@pytest.mark.parametrize("country", ["AU", "KH", "MY", "NZ", "SG"])
def test_people_in_the_five_countries_are_stored_in_the_eu_and_australia(
    seeded: None, country: str
) -> None:
    assert DataSubjectFactory.create(country=country).storage_locations == ["EU", "AU"]


@pytest.mark.parametrize("country", ["EE", "US", "FJ", ""])
def test_everyone_else_is_stored_in_the_eu_only(seeded: None, country: str) -> None:
    assert DataSubjectFactory.create(country=country).storage_locations == ["EU"]


def test_changing_the_transfers_countries_changes_where_people_are_stored(seeded: None) -> None:
    au = australian_storage()
    au.subject_countries = ["AU", "FJ"]
    au.full_clean()
    au.save()
    assert storage_locations_for("FJ") == ["EU", "AU"]
    assert storage_locations_for("SG") == ["EU"]
    assert DataSubjectFactory.create(country="FJ").storage_locations == ["EU", "AU"]


def test_without_the_australian_storage_everyone_is_stored_in_the_eu(seeded: None) -> None:
    australian_storage().delete()
    assert DataSubjectFactory.create(country="SG").storage_locations == ["EU"]


def test_the_subject_page_follows_the_register(
    seeded: None, client_for: ClientFor, dpo: User
) -> None:
    person = DataSubjectFactory.create(country="NZ")
    client = client_for(dpo)
    assert AU_BADGE in client.get(person.get_absolute_url()).content.decode()
    Transfer.objects.filter(pk=australian_storage().pk).update(subject_countries=["AU"])
    assert AU_BADGE not in client.get(person.get_absolute_url()).content.decode()


def test_a_person_reads_the_register_once(seeded: None) -> None:
    person = DataSubject.objects.get(pk=DataSubjectFactory.create(country="MY").pk)
    with CaptureQueriesContext(connection) as queries:
        assert person.storage_locations == ["EU", "AU"]
        assert person.storage_locations == ["EU", "AU"]
    assert len(queries) == 1


def test_a_list_reads_the_register_once_whatever_its_length(seeded: None) -> None:
    for country in ["SG", "EE", "NZ", "FI", "KH"] * 4:
        DataSubjectFactory.create(country=country)
    people = list(DataSubject.objects.order_by("id"))
    with CaptureQueriesContext(connection) as queries:
        storage = regional_storage()
        locations = [storage.locations_for(str(p.country)) for p in people]
    assert len(queries) == 1
    assert locations.count(["EU", "AU"]) == 12


def test_the_constant_is_gone() -> None:
    assert not hasattr(subjects.models, "AUSTRALIAN_STORAGE_COUNTRIES")
