"""Batches of ids pass Django's filter machinery whole (`retention.lookups.IdArray`) and the
name tokens of a set follow it in chunks (the purge at a million people)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.db.models.sql.query import Query
from django.test.utils import CaptureQueriesContext

from retention.lookups import IdArray
from subjects.models import DataSubject, NameToken
from subjects.models import names as name_tokens
from tests.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db


def test_an_id_array_selects_what_the_same_list_selects() -> None:
    people = DataSubjectFactory.create_batch(4)
    chosen = [people[0].pk, people[2].pk, 10**9]
    by_list = set(DataSubject.objects.filter(pk__any_of=chosen).values_list("pk", flat=True))
    by_array = set(
        DataSubject.objects.filter(pk__any_of=IdArray(chosen)).values_list("pk", flat=True)
    )
    assert by_array == by_list == {people[0].pk, people[2].pk}
    tokens = NameToken.objects.filter(subject_id__any_of=IdArray(chosen))
    assert {t.subject_id for t in tokens} == {people[0].pk, people[2].pk}
    assert not DataSubject.objects.filter(pk__any_of=IdArray([])).exists()
    # A subquery: on PostgreSQL `= ANY(ARRAY(…))`, elsewhere `IN (…)`; the same rows.
    ordered = DataSubject.objects.filter(pk__in=chosen).order_by("-pk").values("pk")
    by_subquery = NameToken.objects.filter(subject_id__any_of=ordered)
    assert {t.subject_id for t in by_subquery} == {people[0].pk, people[2].pk}


def test_an_id_array_of_an_id_array_is_the_same_array() -> None:
    ids = IdArray([3, 1, 2])
    assert IdArray(ids) is ids
    assert IdArray(ids).literal == "{3,1,2}"
    assert IdArray(ids).ids == [3, 1, 2]


def test_an_id_array_is_not_walked_id_by_id() -> None:
    ids = list(range(1, 1001))
    with mock.patch.object(
        Query, "check_query_object_type", autospec=True, side_effect=lambda *a: None
    ) as checked:
        str(NameToken.objects.filter(subject_id__any_of=ids).query)
        assert checked.call_count == len(ids)  # a list: every id type-checked
        checked.reset_mock()
        str(NameToken.objects.filter(subject_id__any_of=IdArray(ids)).query)
        assert checked.call_count == 0


def test_a_set_based_name_change_replaces_tokens_in_bounded_statements(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(name_tokens, "INSERT_BATCH", 2)
    renamed = DataSubjectFactory.create_batch(5, last_name="Kask")
    other = DataSubjectFactory.create(first_name="Other", last_name="Kask")
    ids = [p.pk for p in renamed]
    with CaptureQueriesContext(connection) as queries:
        assert DataSubject.objects.filter(pk__in=ids).update(last_name="Tamm") == 5
    deletes = [q for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    # PostgreSQL takes the ids as one array, however many; SQLite binds each: 2 a statement.
    assert len(deletes) == (1 if connection.vendor == "postgresql" else 3)
    assert set(DataSubject.objects.search("tamm").values_list("pk", flat=True)) == set(ids)
    assert set(DataSubject.objects.search("kask").values_list("pk", flat=True)) == {other.pk}
    assert NameToken.objects.filter(subject_id__in=ids).count() == 5 * 2


@pytest.mark.postgres
def test_on_postgresql_an_id_array_goes_as_one_array_literal() -> None:
    people = DataSubjectFactory.create_batch(3)
    ids = IdArray([p.pk for p in people])
    with CaptureQueriesContext(connection) as queries:
        assert DataSubject.objects.filter(pk__any_of=ids).count() == 3
    sql = queries.captured_queries[-1]["sql"]
    literal = "{" + ",".join(str(p.pk) for p in people) + "}"
    # psycopg2 would write a list as ARRAY[1, 2, 3], adapting each id for every statement.
    assert f"= ANY('{literal}'::bigint[])" in sql
    assert "ARRAY[" not in sql


@pytest.mark.postgres
def test_clearing_names_on_postgresql_deletes_the_tokens_without_reading_the_people() -> None:
    cleared = DataSubjectFactory.create_batch(3, last_name="Kask")
    outside = DataSubjectFactory.create(last_name="Kask")
    other = DataSubjectFactory.create(last_name="Kask")
    named = IdArray([p.pk for p in [*cleared, outside, other]])
    people = DataSubject.objects.filter(pk__any_of=named).exclude(pk__in=[outside.pk, other.pk])
    with CaptureQueriesContext(connection) as queries:
        assert people.update(first_name="", last_name="") == 3
    statements = [q["sql"] for q in queries.captured_queries]
    writes = [sql.split()[0] for sql in statements if not sql.startswith(("SAVEPOINT", "RELEASE"))]
    # The tokens go by the people's own query, in the same DELETE: no SELECT of their ids.
    assert writes == ["DELETE", "UPDATE"], statements
    assert "= ANY(ARRAY(SELECT" in next(sql for sql in statements if sql.startswith("DELETE"))
    assert not NameToken.objects.filter(subject_id__in=[p.pk for p in cleared]).exists()
    # Those the query leaves out keep their tokens, though their ids were in the array.
    assert set(DataSubject.objects.search("kask").values_list("pk", flat=True)) == {
        outside.pk,
        other.pk,
    }
