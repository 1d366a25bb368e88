"""The daily pages cost a constant number of queries however much data
there is, and the queue's far pages are read from the far end (the timings at a million
requests are `bench/request_queue.py`'s)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from core.pagination import FromEitherEndPaginator
from subject_requests.models import SubjectRequest
from tests.factories import (
    CommunicationFactory,
    DataSubjectFactory,
    SubjectRequestFactory,
    UsageRecordFactory,
)
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

# Session, user, device, roles; the person; the sections each app plugs in (consent, requests,
# retention deadlines, recipients, storage, audit trail), each a fixed number of queries; the
# records: one query counts all six lists, one reads each page. 45 today; what matters is
# that it does not grow with the records.
PERSON_PAGE_QUERIES = 45


def person_page_queries(client_for: ClientFor, dpo: User, records: int) -> int:
    person = DataSubjectFactory.create()
    CommunicationFactory.create_batch(records, subject=person)
    UsageRecordFactory.create_batch(records, subject=person)
    for request in SubjectRequestFactory.create_batch(3):
        request.subjects.add(person)
    client = client_for(dpo)
    client.get("/")  # the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/subjects/{person.pk}/")
    assert response.status_code == 200
    return len(captured)


def test_a_persons_page_costs_the_same_queries_for_two_records_or_two_hundred(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    few = person_page_queries(client_for, dpo, 1)
    many = person_page_queries(client_for, dpo, 100)
    assert few == many <= PERSON_PAGE_QUERIES


def test_a_persons_page_at_two_thousand_records_stays_in_its_query_budget(
    client_for: ClientFor,
    dpo: User,
    seeded: None,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    person = DataSubjectFactory.create(organisation=None)  # no organisation: no trials
    now = timezone.now()
    CommunicationFactory._meta.model.objects.bulk_create(
        CommunicationFactory.build(subject=person, sent_at=now - dt.timedelta(hours=n))
        for n in range(2000)
    )
    client = client_for(dpo)
    client.get("/")
    with django_assert_max_num_queries(PERSON_PAGE_QUERIES):
        response = client.get(f"/subjects/{person.pk}/", {"communications_page": "last"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("count", "per_page", "orphans"),
    [(0, 5, 0), (1, 5, 0), (23, 5, 0), (23, 5, 3), (25, 5, 0), (101, 10, 2)],
)
def test_pages_read_from_the_far_end_hold_what_django_puts_on_them(
    count: int, per_page: int, orphans: int
) -> None:
    received = timezone.now()
    SubjectRequest.objects.bulk_create(
        SubjectRequestFactory.build(
            reference=f"DSR-2026-{n:06d}",
            received_at=received,
            target_at=received + dt.timedelta(days=n % 4),  # ties, broken by id
            due_at=received + dt.timedelta(days=n % 4 + 1),
        )
        for n in range(count)
    )
    queryset = SubjectRequest.objects.order_by("target_at", "id")
    plain = Paginator(queryset, per_page, orphans=orphans)
    either = FromEitherEndPaginator(queryset, per_page, orphans=orphans)
    assert either.num_pages == plain.num_pages
    for number in plain.page_range:
        ours, django = either.page(number), plain.page(number)
        assert [r.pk for r in ours] == [r.pk for r in django], number
        assert (ours.start_index(), ours.end_index()) == (django.start_index(), django.end_index())


def test_the_queues_last_page_is_read_backwards_without_an_offset(
    client_for: ClientFor, dpo: User
) -> None:
    received = timezone.now()
    SubjectRequest.objects.bulk_create(
        SubjectRequestFactory.build(
            reference=f"DSR-2026-{n:06d}",
            received_at=received,
            target_at=received + dt.timedelta(hours=n),
            due_at=received + dt.timedelta(days=40),
        )
        for n in range(120)
    )
    client = client_for(dpo)
    client.get("/")
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/requests/", {"page": "last"}).content.decode()
    rows = [q["sql"] for q in captured.captured_queries if "LIMIT 20" in q["sql"]]
    assert rows and "OFFSET" not in rows[0] and "DESC" in rows[0], rows
    assert "DSR-2026-000119" in page and "DSR-2026-000100" in page
    assert "DSR-2026-000099" not in page
    assert page.index("DSR-2026-000100") < page.index("DSR-2026-000119")


def test_the_dpo_sees_how_many_records_of_each_kind_the_person_has(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    person = DataSubjectFactory.create(organisation=None)
    CommunicationFactory.create_batch(2, subject=person)
    UsageRecordFactory.create_batch(3, subject=person)
    page = client_for(dpo).get(f"/subjects/{person.pk}/retention/").content.decode()
    assert "0 demos, 2 messages, 3 usage records" in page
