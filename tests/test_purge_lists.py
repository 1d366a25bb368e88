"""The full lists behind the preview's counts: every record a rule
would purge, paginated and as CSV; the extra records a proposed change would purge; ids and no
links or names for a viewer without `subjects.detail`."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.http import HttpResponseBase

from retention.models import RetentionRule
from subjects.models import DataSubject
from tests import factories as f
from tests.fixture_types import ClientFor
from tests.responses import streamed
from tests.retention_helpers import propose_nine_year_claims

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
NOW = dt.datetime(2025, 6, 1, 3, 0, tzinfo=TALLINN)


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def due_prospects(seeded: None, frozen: None) -> list[DataSubject]:
    collected = dt.datetime(2020, 1, 5, 12, tzinfo=TALLINN)
    return [
        f.ProspectFactory.create(collected_at=collected, first_name=f"Person{n:02d}")
        for n in range(60)
    ]


def _csv_rows(response: HttpResponseBase) -> list[list[str]]:
    text = streamed(response).decode().lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def test_the_preview_links_to_every_record_due_paginated_and_as_csv(
    due_prospects: list[DataSubject], dpo: User, client_for: ClientFor
) -> None:
    client = client_for(dpo)
    rule = RetentionRule.objects.get(code="prospects-1y")
    preview = client.get("/retention/").content.decode()
    assert f'href="/retention/rules/{rule.pk}/due/?as_of=' in preview
    assert "All 60 records" in preview
    first = client.get(f"/retention/rules/{rule.pk}/due/?as_of=2025-06-01").content.decode()
    assert "60 records the purge as of 01.06.2025" in first
    assert f"/subjects/{due_prospects[0].pk}/" in first
    assert f"/subjects/{due_prospects[55].pk}/" not in first
    second = client.get(f"/retention/rules/{rule.pk}/due/?as_of=2025-06-01&page=2").content
    assert f"/subjects/{due_prospects[55].pk}/".encode() in second
    rows = _csv_rows(client.get(f"/retention/rules/{rule.pk}/due.csv?as_of=2025-06-01"))
    assert rows[0] == ["record", "id", "description", "anchor", "kept through"]
    assert len(rows) == 61
    assert rows[1][1] == str(due_prospects[0].pk) and rows[1][3] == "05.01.2020"


def test_an_admin_sees_ids_and_no_names_or_links_to_people(
    due_prospects: list[DataSubject], admin_user: User, client_for: ClientFor
) -> None:
    client = client_for(admin_user)
    rule = RetentionRule.objects.get(code="prospects-1y")
    for url in ("/retention/", f"/retention/rules/{rule.pk}/due/?as_of=2025-06-01"):
        page = client.get(url).content.decode()
        assert "/subjects/" not in page
        assert "Person0" not in page
        assert f"#{due_prospects[0].pk}" in page
    rows = _csv_rows(client.get(f"/retention/rules/{rule.pk}/due.csv?as_of=2025-06-01"))
    assert rows[0] == ["record", "id", "anchor", "kept through"]
    assert all("Person" not in cell for row in rows for cell in row)


def test_a_proposal_lists_the_extra_records_it_would_purge(
    seeded: None, frozen: None, admin_user: User, dpo: User, client_for: ClientFor
) -> None:
    # Fell due 9½ years ago: kept under 10 years, purged under 9.
    extra = f.ClaimFactory.create(fell_due_on=dt.date(2015, 12, 1))
    kept = f.ClaimFactory.create(fell_due_on=dt.date(2024, 1, 1))
    change = propose_nine_year_claims(admin_user)
    rule = change.rule
    client = client_for(dpo)
    detail = client.get(f"/retention/rules/{rule.pk}/").content.decode()
    assert f'href="/retention/changes/{change.pk}/extra/"' in detail
    page = client.get(f"/retention/changes/{change.pk}/extra/").content.decode()
    assert f"#{extra.pk}" in page and f"#{kept.pk}" not in page
    rows = _csv_rows(client.get(f"/retention/changes/{change.pk}/extra.csv"))
    assert [row[1] for row in rows[1:]] == [str(extra.pk)]
