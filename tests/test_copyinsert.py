"""People written by `COPY` (`core.copyinsert`) are the people `bulk_create` writes: the same
ciphertext-only columns, blind index, name tokens and ids."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.copyinsert import bulk_insert, copy_insert, copy_text
from subjects.models import DataSubject, KindChange, NameToken, SubjectKind
from tests.factories import OrganisationFactory

# --- the text format --------------------------------------------------------------------------


def test_copy_text_escapes_what_the_text_format_gives_a_meaning() -> None:
    assert copy_text(None) == "\\N"
    assert copy_text("a\tb\nc\rd\\e") == "a\\tb\\nc\\rd\\\\e"
    assert copy_text("\\N") == "\\\\N"  # the text, not NULL
    assert copy_text("Bērziņš") == "Bērziņš"
    assert copy_text(True) == "t" and copy_text(False) == "f"
    assert copy_text(7) == "7" and copy_text(decimal.Decimal("1.50")) == "1.50"
    when = dt.datetime(2026, 11, 29, 14, 0, 1, 250, tzinfo=dt.UTC)
    assert copy_text(when) == "2026-11-29T14:00:01.000250+00:00"
    assert copy_text(dt.date(2026, 2, 28)) == "2026-02-28"
    key = uuid.UUID(int=1)
    assert copy_text(key) == str(key)
    assert copy_text(b"\x00\xff") == "\\\\x00ff"


def test_copy_text_refuses_what_it_cannot_write() -> None:
    with pytest.raises(TypeError, match="use bulk_create"):
        copy_text(object())


# --- on PostgreSQL ------------------------------------------------------------------------------


def awkward_person(n: int, **extra: Any) -> DataSubject:
    values: dict[str, Any] = {"date_of_birth": dt.date(1980, 2, 29), **extra}
    return DataSubject(
        kind=SubjectKind.PROSPECT,
        external_id=f"ext-{n}",
        first_name=f"Rūta\t{n}",
        last_name="O'Brien\\Kask\nTamm",
        work_email=f"Ruta.{n}@Company.example",
        work_phone="+372 5555 0000",
        position="",
        photo=b"\x89PNG\r\n\x1a\n\x00\\",
        collected_at=timezone.now() - dt.timedelta(days=n),
        **values,
    )


@pytest.mark.django_db
@pytest.mark.postgres
def test_people_by_copy_read_back_as_written_with_ids_index_and_tokens() -> None:
    organisation = OrganisationFactory.create()
    people = DataSubject.objects.bulk_create(
        [awkward_person(n, organisation=organisation) for n in range(3)]
    )
    ids = [p.pk for p in people]
    assert all(isinstance(pk, int) for pk in ids) and len(set(ids)) == 3
    stored = {p.pk: p for p in DataSubject.objects.filter(pk__in=ids)}
    assert set(stored) == set(ids)
    for n, pk in enumerate(ids):
        person = stored[pk]
        assert person.external_id == f"ext-{n}"
        assert person.first_name == f"Rūta\t{n}"
        assert person.last_name == "O'Brien\\Kask\nTamm"
        assert person.position == ""
        assert person.date_of_birth == dt.date(1980, 2, 29)
        assert person.photo == b"\x89PNG\r\n\x1a\n\x00\\"
        assert person.organisation_id == organisation.pk
        assert person.created_at is not None and person.updated_at is not None
    # Found by the e-mail's blind index and by each word of the name, as any other person.
    assert DataSubject.objects.with_email("ruta.1@company.example").get().pk == ids[1]
    assert set(DataSubject.objects.search("ruta obrien").values_list("pk", flat=True)) == set(ids)
    assert NameToken.objects.filter(subject_id__in=ids).count() == 3 * (2 + 3)
    # Nothing personal in clear in the table: a blank position is NULL, the rest ciphertext.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT first_name, last_name, work_email, position FROM subjects_datasubject "
            "WHERE id = %s",
            [ids[0]],
        )
        first, last, email, position = cursor.fetchone()
    assert position is None
    assert "Rūta" not in first and "Brien" not in last and "Company" not in email


@pytest.mark.django_db
@pytest.mark.postgres
def test_ids_drawn_by_copy_do_not_collide_with_later_inserts() -> None:
    copied = DataSubject.objects.bulk_create([awkward_person(n) for n in range(2)])
    saved = DataSubject.objects.create(
        kind=SubjectKind.USER, first_name="Mari", last_name="Tamm", collected_at=timezone.now()
    )
    assert saved.pk > max(p.pk for p in copied)


@pytest.mark.django_db
@pytest.mark.postgres
def test_a_refused_copy_writes_nothing() -> None:
    DataSubject.objects.bulk_create([awkward_person(1)])
    before = (DataSubject.objects.count(), NameToken.objects.count())
    with pytest.raises(IntegrityError), transaction.atomic():
        # ext-1 again: the unique external id refuses the whole COPY.
        DataSubject.objects.bulk_create([awkward_person(2), awkward_person(1)])
    assert (DataSubject.objects.count(), NameToken.objects.count()) == before


@pytest.mark.django_db
@pytest.mark.postgres
def test_bulk_insert_without_ids_and_copy_insert_refusing_saved_objects() -> None:
    (person,) = DataSubject.objects.bulk_create([awkward_person(1)])
    actor = User.objects.create(username="staff")
    changes = [
        KindChange(
            subject=person,
            kind=SubjectKind.PROSPECT,
            changed_on=dt.date(2026, 11, 29),
            recorded_at=timezone.now(),
            actor=actor,
        )
        for _ in range(2)
    ]
    bulk_insert(changes, using="default", batch_size=1000, with_ids=False)
    stored = KindChange.objects.filter(subject=person)
    assert stored.count() == 2 and {c.actor_id for c in stored} == {actor.pk}
    with pytest.raises(ValueError, match="must have none"):
        copy_insert([person], using="default")


@pytest.mark.django_db
@pytest.mark.postgres
def test_a_field_that_writes_something_for_none_is_asked_for_it() -> None:
    """Most fields write None as NULL and copy_insert skips them for a None; a field that
    writes something else (django-timezone-field writes "") is still asked."""
    from django_celery_beat.models import CrontabSchedule

    assert CrontabSchedule._meta.get_field("timezone").get_db_prep_save(None, connection) == ""
    (schedule,) = copy_insert([CrontabSchedule(minute="5", timezone=None)], using="default")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT minute, timezone FROM django_celery_beat_crontabschedule WHERE id = %s",
            [schedule.pk],
        )
        assert cursor.fetchone() == ("5", "")
