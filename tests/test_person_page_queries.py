"""A person's page and a request's page cost a fixed number of queries however many records
there are, and every list on them is a page that says how long the whole list is
(`bench/person_page.py` and `bench/request_queue.py` time them at 2 000 records)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from consent.models import ConsentEvent
from core.audit import record_events_bulk
from processing.models import System
from subject_requests.models import (
    Answer,
    RightAction,
    SubjectRequest,
    SystemTask,
    TimelineEntry,
)
from subjects import models as sm
from tests.factories import (
    ClaimFactory,
    CommunicationFactory,
    ConsentEventFactory,
    DataSubjectFactory,
    DemoFactory,
    InvoiceFactory,
    SubjectRequestFactory,
    SystemFactory,
    TrialFactory,
    UsageRecordFactory,
    purpose,
)
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

# The frame (session, user, second factor, roles: 4), the person and the look at them (2),
# then each part a fixed number: the data groups; retention (one count of every kind of
# record, and what the purge did); consent (a page of the timeline with its count, the state
# of each purpose, suppression, objections); the requests (a page with its count); purposes,
# holders and transfers; the person's lists (their counts in one query and a page of each,
# the trail a page with its count). 38 with records of every kind; what matters is that it
# does not grow.
PERSON_PAGE_QUERIES = 38
# The frame (4), the person and the look (2), the rules in force and one count of every kind
# of record (2), then for each kind the person has a page of its lines and whether each rule
# applies to them, held or awaited: 20 with records of every kind.
RETENTION_PAGE_QUERIES = 20
# Session, user, second factor, roles (4); the look (1); the request with whether it has
# people, answers, actions and tasks and how long its timeline is (1); each list it has (the
# people, the answers, a page of the timeline) (3); the users it may be assigned to (1).
REQUEST_PAGE_QUERIES = 10
# An action request (erasure, rectification, …) with actions and system tasks adds a query
# for each, and the systems its people's data is in that it would not reach: 13.
ACTION_REQUEST_PAGE_QUERIES = 13
PAGE_SIZE = 10
NAV = re.compile(r'<nav class="pagination" aria-label="([^"]+)">(.*?)</nav>', re.DOTALL)


def person_with(records: int) -> sm.DataSubject:
    """A client with `records` records of every kind their page lists."""
    person = DataSubjectFactory.create(kind=sm.SubjectKind.CLIENT)
    company = person.organisation
    now = timezone.now()
    hours = [now - dt.timedelta(hours=n) for n in range(records)]
    days = [at.date() for at in hours]
    sm.Communication.objects.bulk_create(
        CommunicationFactory.build(subject=person, sent_at=at) for at in hours
    )
    sm.UsageRecord.objects.bulk_create(
        UsageRecordFactory.build(subject=person, occurred_at=at) for at in hours
    )
    sm.Demo.objects.bulk_create(DemoFactory.build(subject=person, held_on=d) for d in days)
    sm.Invoice.objects.bulk_create(
        InvoiceFactory.build(
            organisation=company, billing_contact=person, number=f"I-{person.pk}-{n}"
        )
        for n in range(records)
    )
    sm.Claim.objects.bulk_create(
        ClaimFactory.build(subject=person, organisation=company, closed_on=d) for d in days
    )
    trials = sm.Trial.objects.bulk_create(
        TrialFactory.build(organisation=company, started_on=d) for d in days
    )
    sm.TrialContent.objects.bulk_create(
        sm.TrialContent(trial=trial, author=person, title="Notes", content="x") for trial in trials
    )
    marketing = purpose("direct-marketing")
    ConsentEvent.objects.bulk_create(
        ConsentEventFactory.build(subject=person, purpose=marketing, occurred_at=at) for at in hours
    )
    requests = SubjectRequest.objects.bulk_create(
        SubjectRequestFactory.build(
            reference=f"DSR-P{person.pk}-{n:04d}", received_at=at, status="completed"
        )
        for n, at in enumerate(hours)
    )
    person.subject_requests.add(*requests)
    sm.KindChange.objects.bulk_create(
        sm.KindChange(subject=person, kind="client", previous_kind="user", changed_on=d)
        for d in days
    )
    record_events_bulk(
        action="subject.viewed",
        actor="bench",
        target_type="subjects.datasubject",
        target_ids=[person.pk] * records,
        details={},
    )
    return person


def requests_listed(page: str) -> str:
    """The requests section of a person's page (the retention lines name requests too)."""
    start = page.index('id="requests-of-subject"')
    return page[start : page.index("</table>", start)]


def queries_of(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_a_persons_page_costs_the_same_queries_with_five_or_two_hundred_records_of_each_kind(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    client = client_for(dpo)
    client.get("/")  # the session
    few, _ = queries_of(client, person_with(5).get_absolute_url())
    many, page = queries_of(client, person_with(200).get_absolute_url())
    assert few == many <= PERSON_PAGE_QUERIES
    assert "(200 in all)" in page


def test_every_list_on_a_persons_page_shows_a_page_and_says_how_many_there_are(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    person = person_with(25)
    page = client_for(dpo).get(person.get_absolute_url()).content.decode()
    in_all = Counter(
        (label, int(found.group(1)))
        for label, nav in NAV.findall(page)
        if (found := re.search(r"\((\d+) in all\)", nav))
    )
    expected = Counter(
        (label, 25)
        for label in (
            # The person's own lists.
            "Trials (of the organisation)",
            "Demos",
            "Invoices (as billing contact)",
            "Claims",
            "Communications",
            "Usage",
            "Kind history",
            # The sections of the other apps.
            "Data-subject requests",
            "Consent timeline",
        )
    )
    # The 25 looks filled in, and this one.
    expected[("Who looked and who changed", 26)] = 1
    assert in_all == expected
    requests = requests_listed(page)
    assert f"DSR-P{person.pk}-0000" in requests and f"DSR-P{person.pk}-0024" not in requests


def test_a_persons_retention_lines_cost_the_same_queries_and_each_kind_is_paged(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    client = client_for(dpo)
    client.get("/")  # the session
    few, _ = queries_of(client, reverse("subjects:retention", args=[person_with(5).pk]))
    many, page = queries_of(client, reverse("subjects:retention", args=[person_with(200).pk]))
    assert few == many <= RETENTION_PAGE_QUERIES
    in_all = {
        label: int(found.group(1))
        for label, nav in NAV.findall(page)
        if (found := re.search(r"\((\d+) in all\)", nav))
    }
    assert in_all == {
        "Retention of Invoices": 200,
        "Retention of Claims": 200,
        "Retention of Trial content": 200,
        "Retention of Data-subject requests": 200,
    }
    # A later page of one kind: its older lines, the other kinds on their first page.
    person = person_with(25)
    url = reverse("subjects:retention", args=[person.pk])
    last = client.get(url, {"deadlines_subjects_invoice_page": "3"}).content.decode()
    assert "Page 3 of 3 (25 in all)" in last and "Page 1 of 3 (25 in all)" in last


def test_a_later_page_of_one_list_shows_its_older_rows_and_leaves_the_others_alone(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    person = person_with(25)
    client = client_for(dpo)
    last = client.get(person.get_absolute_url(), {"requests_page": "3"}).content.decode()
    oldest = requests_listed(last)
    assert f"DSR-P{person.pk}-0024" in oldest and f"DSR-P{person.pk}-0019" not in oldest
    assert "Page 3 of 3 (25 in all)" in last
    assert "Page 1 of 3 (25 in all)" in last  # every other list is on its first page
    # A page past the end (an old link) shows the last one.
    stale = client.get(person.get_absolute_url(), {"requests_page": "9"}).content.decode()
    assert f"DSR-P{person.pk}-0024" in requests_listed(stale)


def request_with(records: int, *, actions: bool) -> SubjectRequest:
    """An open request of one matched person with `records` timeline entries and answers,
    and for an erasure its actions and `records` tasks in the systems."""
    person = DataSubjectFactory.create()
    request = SubjectRequestFactory.create(
        type="erasure" if actions else "access", status="in_progress"
    )
    request.subjects.add(person)
    now = timezone.now()
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            request=request,
            kind="note",
            occurred_at=now - dt.timedelta(minutes=n),
            summary=f"Entry {n:04d}",
            actor_label="staff",
        )
        for n in range(records)
    )
    Answer.objects.bulk_create(
        Answer(request=request, kind="letter", status="ready", requested_at=now)
        for _ in range(records)
    )
    if actions:
        action = RightAction.objects.create(
            request=request, subject=person, kind="erase", status="proposed"
        )
        system: System = SystemFactory.create()
        SystemTask.objects.bulk_create(
            SystemTask(
                request=request,
                action=action,
                subject=person,
                system=system,
                kind="action",
                operation="erase",
                connector="manual",
                due_on=now.date(),
            )
            for _ in range(records)
        )
    return request


@pytest.mark.parametrize(
    ("actions", "bound"), [(False, REQUEST_PAGE_QUERIES), (True, ACTION_REQUEST_PAGE_QUERIES)]
)
def test_a_requests_page_costs_the_same_queries_with_five_or_two_hundred_entries(
    client_for: ClientFor, dpo: User, seeded: None, actions: bool, bound: int
) -> None:
    client = client_for(dpo)
    client.get("/")
    few, _ = queries_of(client, request_with(5, actions=actions).get_absolute_url())
    many, _ = queries_of(client, request_with(200, actions=actions).get_absolute_url())
    assert few == many <= bound


def test_a_fresh_request_without_answers_costs_no_query_for_the_lists_it_has_none_of(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    client = client_for(dpo)
    client.get("/")
    fresh = SubjectRequestFactory.create(type="copy")
    count, page = queries_of(client, fresh.get_absolute_url())
    # No person matched yet, no answer, no timeline entry: three queries fewer.
    assert count <= REQUEST_PAGE_QUERIES - 3
    assert "Nothing has happened yet." in page


def test_a_requests_timeline_shows_its_latest_entries_and_the_earlier_ones_a_page_further(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    request = request_with(45, actions=False)
    client = client_for(dpo)
    latest = client.get(request.get_absolute_url()).content.decode()
    # Entry 0000 is the latest; a page holds twenty, in the order things happened.
    assert "Entry 0019" in latest and "Entry 0000" in latest and "Entry 0020" not in latest
    assert latest.index("Entry 0019") < latest.index("Entry 0000")
    assert "Entries 1–20 of 45, counted from the latest" in latest
    earliest = client.get(request.get_absolute_url(), {"timeline_page": "3"}).content.decode()
    assert "Entry 0044" in earliest and "Entry 0040" in earliest and "Entry 0039" not in earliest
    assert "Entries 41–45 of 45" in earliest
