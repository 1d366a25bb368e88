"""Names are ciphertext in their table and are found through the blind indexes of their words,
kept in step on every write path."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.crypto import is_current, name_token_digests, name_tokens
from subjects.anonymisation import anonymise_subject_rows
from subjects.models import DataSubject, NameToken, SubjectKind
from subjects.services import create_subject, update_subject
from tests.factories import DataSubjectFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def found(text: str) -> set[int]:
    return set(DataSubject.objects.search(text).values_list("pk", flat=True))


def tokens_of(subject: DataSubject) -> set[str]:
    return set(NameToken.objects.filter(subject=subject).values_list("digest", flat=True))


def digests(*names: str) -> set[str]:
    return {digest for name in names for digest in name_token_digests(name)}


def raw_names(pk: int) -> tuple[str | None, str | None, str | None]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT first_name, last_name, position FROM subjects_datasubject WHERE id = %s", [pk]
        )
        row = cursor.fetchone()
    return row[0], row[1], row[2]


# --- folding and tokens ------------------------------------------------------------------------


def test_a_name_folds_to_lower_case_words_without_diacritics() -> None:
    assert name_tokens("Bērziņš") == ["berzins"]
    assert name_tokens("RŪTA") == ["ruta"]
    assert name_tokens("Kask-Tamm") == ["kask", "tamm"]
    assert name_tokens("Jean–Luc  van der Berg") == ["jean", "luc", "van", "der", "berg"]
    assert name_tokens("O’Brien") == name_tokens("O'Brien") == ["obrien"]
    assert name_tokens("Søren Straße Łukasz") == ["soren", "strasse", "lukasz"]
    assert name_tokens("  - ") == []


def test_a_token_digest_is_keyed_and_never_the_word_itself() -> None:
    (digest,) = name_token_digests("Rūta")
    assert digest == name_token_digests("ruta")[0]
    assert "ruta" not in digest and len(digest) == 64
    with override_settings(BLIND_INDEX_KEY="another key"):
        assert name_token_digests("ruta") != [digest]


# --- search ------------------------------------------------------------------------------------


def test_a_name_is_found_whatever_its_accents_and_case() -> None:
    berzins = DataSubjectFactory.create(first_name="Jānis", last_name="Bērziņš")
    ruta = DataSubjectFactory.create(first_name="Rūta", last_name="Ozoliņa")
    DataSubjectFactory.create(first_name="Mari", last_name="Tamm")
    assert found("berzins") == {berzins.pk}
    assert found("BĒRZIŅŠ") == {berzins.pk}
    assert found("ruta") == {ruta.pk}
    assert found("  janis   Berzins ") == {berzins.pk}


def test_a_part_of_a_word_finds_nobody() -> None:
    DataSubjectFactory.create(first_name="Jānis", last_name="Bērziņš")
    assert found("berz") == set()
    assert found("Bērziņ") == set()
    assert found("erzins") == set()
    assert found("jani") == set()


def test_each_word_of_a_hyphenated_or_spaced_name_is_found_alone() -> None:
    kask_tamm = DataSubjectFactory.create(first_name="Anu", last_name="Kask-Tamm")
    van_der_berg = DataSubjectFactory.create(first_name="Jan", last_name="van der Berg")
    obrien = DataSubjectFactory.create(first_name="Sean", last_name="O'Brien")
    assert found("Kask") == {kask_tamm.pk}
    assert found("tamm") == {kask_tamm.pk}
    assert found("kask-tamm") == found("tamm kask") == {kask_tamm.pk}
    assert found("berg") == {van_der_berg.pk}
    assert found("obrien") == found("O’Brien") == {obrien.pk}


def test_every_word_typed_must_be_a_word_of_the_same_person() -> None:
    mari_kask = DataSubjectFactory.create(first_name="Mari", last_name="Kask")
    DataSubjectFactory.create(first_name="Jaan", last_name="Tamm")
    assert found("mari tamm") == set()
    assert found("kask mari") == {mari_kask.pk}


def test_an_organisation_still_matches_in_part() -> None:
    acme = OrganisationFactory.create(name="Acme Analytics OÜ")
    person = DataSubjectFactory.create(first_name="Liis", last_name="Mets", organisation=acme)
    DataSubjectFactory.create(first_name="Other", last_name="Person")
    assert found("analyt") == {person.pk}


def test_a_name_search_is_one_query_of_exists_probes_on_the_token_index() -> None:
    DataSubjectFactory.create(first_name="Rūta", last_name="Bērziņa")
    with CaptureQueriesContext(connection) as queries:
        assert len(list(DataSubject.objects.search("ruta berzina"))) == 1
    (query,) = queries.captured_queries
    assert query["sql"].count("EXISTS") == 2
    assert "subjects_nametoken" in query["sql"]
    # The names are not read to search: no ciphertext column is in the WHERE clause.
    where = query["sql"].split("WHERE", 1)[1]
    assert '"first_name"' not in where and '"last_name"' not in where


def test_the_list_pages_newest_first_and_never_by_name() -> None:
    older = DataSubjectFactory.create(first_name="Aino", last_name="Aalto")
    newer = DataSubjectFactory.create(first_name="Zoe", last_name="Zed")
    from subjects.selectors import organisation_people, subjects_for_list

    assert list(subjects_for_list()) == [newer, older]
    assert DataSubject._meta.ordering == ["id"]
    organisation = OrganisationFactory.create()
    DataSubject.objects.filter(pk__in=[older.pk, newer.pk]).update(organisation=organisation)
    assert list(organisation_people(organisation)) == [newer, older]


# --- storage -----------------------------------------------------------------------------------


def test_names_and_position_are_ciphertext_and_a_blank_is_null() -> None:
    person = DataSubjectFactory.create(first_name="Rūta", last_name="Bērziņa", position="CFO")
    nameless = DataSubjectFactory.create(first_name="", last_name="Solo", position="")
    first, last, position = raw_names(person.pk)
    assert first and last and position
    assert all(is_current(value.encode()) for value in (first, last, position))
    assert "Rūta" not in first + last + position and "CFO" not in position
    assert raw_names(nameless.pk)[0] is None and raw_names(nameless.pk)[2] is None
    fresh = DataSubject.objects.get(pk=nameless.pk)
    assert (fresh.first_name, fresh.position) == ("", "")
    assert DataSubject.objects.get(pk=person.pk).full_name == "Rūta Bērziņa"


# --- every write path ----------------------------------------------------------------------


def test_the_name_tokens_follow_the_services(staff: User, seeded: None) -> None:
    person = create_subject(
        actor=staff, kind=SubjectKind.USER, first_name="Liis", last_name="Mets",
        work_email="liis.mets@firm.example",
    )  # fmt: skip
    assert tokens_of(person) == digests("Liis", "Mets")
    update_subject(subject=person, actor=staff, last_name="Mägi-Saar")
    assert tokens_of(person) == digests("Liis", "Mägi-Saar")
    assert found("magi") == {person.pk} and found("mets") == set()
    update_subject(subject=person, actor=staff, work_phone="+372 5555 1234")
    assert tokens_of(person) == digests("Liis", "Mägi-Saar")


def test_the_name_tokens_follow_set_based_and_bulk_writes() -> None:
    first, second = DataSubjectFactory.create_batch(2, last_name="Kask")
    updated = DataSubject.objects.filter(pk=first.pk).update(first_name="Kadri")
    assert updated == 1
    assert tokens_of(first) == digests("Kadri", "Kask")
    assert tokens_of(second) == digests(second.first_name, "Kask")

    (bulk,) = DataSubject.objects.bulk_create(
        [DataSubject(kind=SubjectKind.USER, first_name="Aino", last_name="Virtanen")]
    )
    assert tokens_of(bulk) == digests("Aino", "Virtanen")
    # bulk_update writes each row's own values (`core.bulkupdate`): tokens and index follow.
    bulk.last_name = "Korhonen"
    bulk.work_email = "aino@example.com"
    second.last_name = "Tamm"
    assert DataSubject.objects.bulk_update([bulk, second], ["last_name", "work_email"]) == 2
    assert DataSubject.objects.get(pk=bulk.pk).last_name == "Korhonen"
    assert tokens_of(bulk) == digests("Aino", "Korhonen")
    assert tokens_of(second) == digests(second.first_name, "Tamm")
    assert DataSubject.objects.with_email("AINO@example.com").get() == bulk

    with pytest.raises(TypeError):
        DataSubject.objects.bulk_create([DataSubject(kind="user")], ignore_conflicts=True)


def test_a_save_of_other_fields_leaves_the_name_tokens_as_stored() -> None:
    person = DataSubjectFactory.create(first_name="Mikko", last_name="Nieminen")
    person.first_name = "Unsaved"
    person.work_phone = "+358 1"
    person.save(update_fields=["work_phone"])
    assert tokens_of(person) == digests("Mikko", "Nieminen")
    partial = DataSubject.objects.defer("first_name", "last_name").get(pk=person.pk)
    partial.position = "CTO"
    partial.save()
    assert tokens_of(person) == digests("Mikko", "Nieminen")
    person.refresh_from_db()
    assert person.first_name == "Mikko"


def test_deleting_a_person_deletes_their_tokens() -> None:
    person = DataSubjectFactory.create(first_name="Mikko", last_name="Nieminen")
    person.delete()
    assert not NameToken.objects.exists()


def test_an_expression_cannot_slip_past_the_name_tokens() -> None:
    from django.db.models import F

    DataSubjectFactory.create()
    with pytest.raises(TypeError):
        DataSubject.objects.update(first_name=F("last_name"))


def test_anonymisation_clears_names_and_tokens_in_a_fixed_number_of_statements() -> None:
    now = timezone.now()
    few = DataSubjectFactory.create_batch(2)
    many = DataSubjectFactory.create_batch(25)
    kept = DataSubjectFactory.create(first_name="Kept", last_name="Person")

    with CaptureQueriesContext(connection) as small:
        assert anonymise_subject_rows([p.pk for p in few], now=now) == 2
    with CaptureQueriesContext(connection) as large:
        assert anonymise_subject_rows([p.pk for p in many], now=now) == 25
    statements = [q["sql"].split()[0] for q in large.captured_queries]
    assert len(small.captured_queries) == len(large.captured_queries)
    assert statements.count("DELETE") == 1 and statements.count("UPDATE") == 1

    gone = [p.pk for p in few + many]
    assert not NameToken.objects.filter(subject_id__in=gone).exists()
    assert all(raw_names(pk) == (None, None, None) for pk in gone)
    assert tokens_of(kept) == digests("Kept", "Person")
    # A second run finds nobody left to clear and deletes nothing of anyone else.
    anonymise_subject_rows(gone, now=now + dt.timedelta(days=1))
    assert tokens_of(kept) == digests("Kept", "Person")
