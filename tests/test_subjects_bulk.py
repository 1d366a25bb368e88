"""The bulk upsert (`subjects.services.bulk`): matching, the guards per row, all-or-nothing,
dry runs, a constant number of queries, and the data stored as every other path stores it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent.models import Channel, ConsentSettings, SuppressedImport
from consent.services import suppress_email
from core.models import AuditEvent
from subjects.models import DataSubject, KindChange, SubjectKind
from subjects.services.bulk import MAX_ROWS, upsert_subjects
from tests.factories import DataSubjectFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)


def prospect(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "kind": SubjectKind.PROSPECT,
        "first_name": f"Mari{n}",
        "last_name": "Tamm",
        "work_email": f"mari{n}@example.com",
        "external_id": f"p-{n}",
    } | extra


@pytest.fixture(autouse=True)
def _today() -> Any:
    with time_machine.travel(TODAY, tick=False):
        yield


def test_new_rows_are_created_encrypted_with_blind_index_name_tokens_and_kind_history(
    staff: User,
) -> None:
    outcome = upsert_subjects(rows=[prospect(1), prospect(2)], actor=staff, source="test")

    assert outcome.applied and outcome.counts["create"] == 2 and not outcome.errors
    person = DataSubject.objects.with_email("MARI1@example.com").get()
    assert person.external_id == "p-1" and person.pk == outcome.created[0]
    assert DataSubject.objects.search("mari2 tamm").get().pk == outcome.created[1]
    assert KindChange.objects.filter(subject_id__in=outcome.created).count() == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT first_name FROM subjects_datasubject WHERE id = %s", [person.pk])
        assert "Mari1" not in str(cursor.fetchone()[0])
    event = AuditEvent.objects.get(action="subjects.bulk_upserted")
    assert event.details["created"] == list(outcome.created) and event.details["source"] == "test"


def test_a_row_matches_on_external_id_then_on_the_work_email(staff: User) -> None:
    by_id = DataSubjectFactory.create(external_id="p-1", work_email="old@example.com")
    by_email = DataSubjectFactory.create(work_email="mari2@example.com", position="Clerk")

    outcome = upsert_subjects(
        rows=[prospect(1, kind=by_id.kind), {"work_email": "Mari2@Example.com", "position": "CEO"}],
        actor=staff,
        source="test",
    )

    assert outcome.actions == ("update", "update") and not outcome.created
    assert outcome.subject_ids == (by_id.pk, by_email.pk)
    by_id.refresh_from_db()
    assert by_id.work_email == "mari1@example.com" and by_id.first_name == "Mari1"
    assert DataSubject.objects.with_email("mari1@example.com").get() == by_id
    assert DataSubject.objects.search("mari1").get() == by_id
    by_email.refresh_from_db()
    assert by_email.position == "CEO"


def test_a_row_equal_to_the_stored_person_is_unchanged(staff: User) -> None:
    person = DataSubjectFactory.create(
        external_id="p-1", first_name="Mari", work_email="m@example.com"
    )

    outcome = upsert_subjects(
        rows=[{"external_id": "p-1", "first_name": "Mari"}], actor=staff, source="test"
    )

    assert outcome.actions == ("unchanged",) and outcome.unchanged == (person.pk,)


def test_the_guards_refuse_minor_prospect_data_malformed_and_duplicate_rows(staff: User) -> None:
    rows = [
        prospect(1),
        prospect(2, kind=SubjectKind.USER, date_of_birth="2010-01-01"),
        prospect(3, date_of_birth="1980-01-01"),
        prospect(4, work_email="not an address"),
        prospect(5, external_id="p-1"),
        prospect(6, work_email="mari1@example.com"),
        prospect(7, date_of_birth="1990-13-45", kind=SubjectKind.USER),
        prospect(8, shoe_size=44),
        prospect(9, kind="martian"),
    ]

    outcome = upsert_subjects(rows=rows, actor=staff, source="test")

    assert not outcome.applied and not DataSubject.objects.exists()
    assert set(outcome.errors) == {1, 2, 3, 4, 5, 6, 7, 8}
    assert "under 18" in outcome.errors[1]["date_of_birth"][0]
    assert "Prospects" in outcome.errors[2]["date_of_birth"][0]
    assert "work_email" in outcome.errors[3]
    assert "external_id" in outcome.errors[4] and "work_email" in outcome.errors[5]
    assert "1990-13-45" not in str(outcome.errors[6])  # no personal data in a message
    assert outcome.errors[7] == {"shoe_size": ["Unknown field."]}
    assert "kind" in outcome.errors[8]
    assert not AuditEvent.objects.filter(action="subjects.bulk_upserted").exists()


def test_a_suppressed_address_is_refused(staff: User) -> None:
    suppress_email(email="mari2@example.com", channel=Channel.STAFF, actor=staff)

    outcome = upsert_subjects(rows=[prospect(1), prospect(2)], actor=staff, source="test")

    assert "suppression list" in outcome.errors[1]["work_email"][0]
    assert not DataSubject.objects.exists()


def test_a_suppressed_address_in_flag_mode_is_stored_and_flagged(staff: User) -> None:
    ConsentSettings.objects.update_or_create(
        pk=1, defaults={"on_suppressed_import": SuppressedImport.FLAG}
    )
    suppress_email(email="mari2@example.com", channel=Channel.STAFF, actor=staff)
    suppress_email(email="mari3@example.com", channel=Channel.STAFF, actor=staff)

    outcome = upsert_subjects(
        rows=[prospect(1), prospect(2), prospect(3)], actor=staff, source="test"
    )

    flagged = AuditEvent.objects.filter(action="consent.suppressed_address_stored")
    assert sorted(int(e.target_id) for e in flagged) == sorted(outcome.created[1:])


def test_all_or_nothing_false_writes_the_valid_rows_and_reports_the_rest(staff: User) -> None:
    rows = [prospect(1), prospect(2, date_of_birth="1980-01-01"), prospect(3)]

    outcome = upsert_subjects(rows=rows, actor=staff, source="test", all_or_nothing=False)

    assert outcome.applied and outcome.actions == ("create", "refuse", "create")
    assert set(DataSubject.objects.values_list("external_id", flat=True)) == {"p-1", "p-3"}
    assert outcome.subject_ids[1] is None and list(outcome.errors) == [1]


def test_a_dry_run_classifies_and_writes_nothing(staff: User) -> None:
    DataSubjectFactory.create(external_id="p-1")
    rows = [prospect(1), prospect(2), prospect(3, date_of_birth="1980-01-01")]

    outcome = upsert_subjects(rows=rows, actor=staff, source="test", dry_run=True)

    assert outcome.actions == ("update", "create", "refuse") and not outcome.applied
    assert DataSubject.objects.count() == 1
    assert not AuditEvent.objects.filter(action="subjects.bulk_upserted").exists()


def test_an_erased_persons_external_id_is_not_brought_back(staff: User) -> None:
    DataSubjectFactory.create(external_id="p-1", anonymised_at=TODAY)

    outcome = upsert_subjects(rows=[prospect(1)], actor=staff, source="test")

    assert "erased" in outcome.errors[0]["external_id"][0]


def test_an_organisation_is_given_by_id_and_an_unknown_one_refused(staff: User) -> None:
    company = OrganisationFactory.create()

    outcome = upsert_subjects(
        rows=[prospect(1, organisation=company.pk), prospect(2, organisation=10**9)],
        actor=staff,
        source="test",
        all_or_nothing=False,
    )

    assert DataSubject.objects.get(pk=outcome.created[0]).organisation == company
    assert outcome.errors[1] == {"organisation": ["No such organisation."]}


def test_rows_changing_different_fields_write_only_their_own_changes(staff: User) -> None:
    old, new = OrganisationFactory.create_batch(2)
    first = DataSubjectFactory.create(external_id="p-1", organisation=old, position="Clerk")
    second = DataSubjectFactory.create(external_id="p-2", organisation=old, position="Clerk")

    with CaptureQueriesContext(connection) as captured:
        upsert_subjects(
            rows=[
                {"external_id": "p-1", "organisation": new.pk},
                {"external_id": "p-2", "position": "CEO", "organisation": old.pk},
            ],
            actor=staff,
            source="test",
        )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.organisation, first.position) == (new, "Clerk")
    assert (second.organisation, second.position) == (old, "CEO")
    # The organisations named are read once, never one per person.
    assert sum('FROM "subjects_organisation"' in q["sql"] for q in captured) == 1


def test_a_kind_change_is_kept_in_the_history(staff: User) -> None:
    person = DataSubjectFactory.create(external_id="p-1", kind=SubjectKind.PROSPECT)

    upsert_subjects(
        rows=[{"external_id": "p-1", "kind": SubjectKind.USER}], actor=staff, source="test"
    )

    change = KindChange.objects.get(subject=person, previous_kind=SubjectKind.PROSPECT)
    assert change.kind == SubjectKind.USER and change.changed_on == dt.date(2026, 3, 10)


def _queries(staff: User, size: int, offset: int) -> int:
    DataSubjectFactory.create_batch(size, kind=SubjectKind.PROSPECT)
    stored = list(DataSubject.objects.order_by("-id")[:size])
    rows = [prospect(offset + n) for n in range(size)]
    rows += [{"work_email": p.work_email, "position": "New"} for p in stored]
    with CaptureQueriesContext(connection) as captured:
        outcome = upsert_subjects(rows=rows, actor=staff, source="test")
    assert outcome.counts["create"] == size and outcome.counts["update"] == size
    return len(captured)


def test_the_queries_do_not_grow_with_the_batch(staff: User) -> None:
    # Within one INSERT batch on SQLite (999 parameters: ~30 people), whatever the size.
    assert _queries(staff, 3, 0) == _queries(staff, 30, 1000)


@pytest.mark.postgres
def test_the_queries_do_not_grow_with_the_batch_on_postgresql(staff: User) -> None:
    # Up to a thousand new and a thousand updated people: one INSERT and one UPDATE each.
    assert _queries(staff, 3, 0) == _queries(staff, 900, 1000)


def test_more_than_the_maximum_is_refused_whole(staff: User) -> None:
    with pytest.raises(Exception, match="At most"):
        upsert_subjects(rows=[{}] * (MAX_ROWS + 1), actor=staff, source="test")
