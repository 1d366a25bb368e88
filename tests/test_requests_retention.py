"""Requests' own retention: 3 years after closing the requester's identifiers and words go;
reference, right, dates and outcome stay."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.db import connection

from retention.models import RetentionRule
from retention.registry import registry
from retention.selectors import coverage_findings
from subject_requests.models import Status, SubjectRequest, TimelineEntry
from tests.factories import DataSubjectFactory, SubjectRequestFactory
from tests.fixture_types import ClientFor
from tests.retention_helpers import purge

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")


def closed_request(closed_at: dt.datetime, **kw: Any) -> SubjectRequest:
    request = SubjectRequestFactory.create(
        status=Status.REJECTED,
        received_at=closed_at - dt.timedelta(days=20),
        closed_at=closed_at,
        requester_name="Mari Maasikas",
        requester_email="mari@company.example",
        description="Delete everything about me",
        via_agent=True,
        agent_name="Agent Smith",
        agent_proof=b"%PDF-proof",
        agent_proof_name="poa.pdf",
        verification_note="Asked: invoice number\nShown: INV-1",
        closure_reason="Not our data",
        extension_reason="Complex",
        extended_at=closed_at - dt.timedelta(days=10),
        paused_days=3,
        **kw,
    )
    request.subjects.add(DataSubjectFactory.create())
    TimelineEntry.objects.create(
        request=request, kind="note", summary="Internal note", body="Mari called again"
    )
    TimelineEntry.objects.create(
        request=request,
        kind="document",
        summary="Document added",
        document=b"ID",
        document_name="id-card.jpg",
    )
    return request


def test_the_rule_is_seeded_and_requests_are_covered(seeded: None) -> None:
    rule = RetentionRule.objects.get(code="requests-3y")
    assert (rule.record_type, rule.anchor, rule.period_years, rule.action) == (
        "subject_requests.request",
        "request_closed",
        3,
        "anonymise",
    )
    assert rule.active and rule.confirmed
    assert "subject_requests.request" in registry
    labels = " ".join(f.text for f in coverage_findings())
    assert "SubjectRequest" not in labels and "TimelineEntry" not in labels


def test_the_purge_clears_exactly_the_requesters_identifiers_and_words(seeded: None) -> None:
    request = closed_request(dt.datetime(2022, 3, 10, 12, 0, tzinfo=TALLINN))
    kept = {
        f: getattr(request, f)
        for f in (
            "reference",
            "type",
            "channel",
            "status",
            "received_at",
            "due_at",
            "extended_at",
            "paused_days",
            "closed_at",
            "assignee_id",
        )
    }
    purge(dt.date(2025, 3, 11))
    request.refresh_from_db()
    assert {f: getattr(request, f) for f in kept} == kept
    assert request.requester_name is None
    assert request.requester_email is None and request.requester_email_index is None
    assert request.description is None
    assert request.agent_name is None and request.agent_proof is None
    assert request.agent_proof_name is None
    assert request.verification_note is None
    assert request.closure_reason == "" and request.extension_reason == ""
    assert request.anonymised_at is not None
    assert not request.subjects.exists()
    entries = TimelineEntry.objects.filter(request=request)
    assert entries.count() == 2
    assert all(e.body is None and e.document is None and e.document_name is None for e in entries)
    assert {e.summary for e in entries} == {"Internal note", "Document added"}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT requester_name, requester_email, description FROM "
            "subject_requests_subjectrequest WHERE id = %s",
            [request.pk],
        )
        assert cursor.fetchone() == (None, None, None)


def test_a_request_closed_exactly_three_years_ago_is_kept_one_more_day(seeded: None) -> None:
    request = closed_request(dt.datetime(2022, 3, 10, 23, 30, tzinfo=TALLINN))
    purge(dt.date(2025, 3, 10))
    request.refresh_from_db()
    assert request.requester_name == "Mari Maasikas"
    purge(dt.date(2025, 3, 11))
    request.refresh_from_db()
    assert request.requester_name is None


def test_open_requests_and_those_of_a_subject_on_legal_hold_are_kept(seeded: None) -> None:
    long_ago = dt.datetime(2020, 1, 1, 12, 0, tzinfo=TALLINN)
    open_one = SubjectRequestFactory.create(received_at=long_ago, requester_name="Still open")
    held = closed_request(long_ago)
    held.subjects.update(legal_hold_reason="Court case 2-24-123")
    purge(dt.date(2025, 3, 11))
    open_one.refresh_from_db()
    held.refresh_from_db()
    assert open_one.requester_name == "Still open"
    assert held.requester_name == "Mari Maasikas"


def test_the_page_of_an_anonymised_request_still_works(
    seeded: None, client_for: ClientFor, dpo: User
) -> None:
    request = closed_request(dt.datetime(2021, 1, 5, 12, 0, tzinfo=TALLINN))
    purge(dt.date(2025, 3, 11))
    page = client_for(dpo).get(f"/requests/{request.pk}/")
    assert page.status_code == 200
    assert "identifiers and words were removed" in page.content.decode()
    assert "Mari" not in page.content.decode()
