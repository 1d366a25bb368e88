"""The DPO dashboard: its figures against seeded data with time frozen, the
per-right accountability figures with their medians, the charts readable without colour,
and a constant number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent.models import ConsentEvent
from oversight.figures import (
    consent_per_week,
    figures_per_right,
    open_by_days_left,
    open_by_status,
    people_by_storage,
    purged_per_night,
    received_per_week,
)
from tests.factories import (
    ConsentEventFactory,
    DataSubjectFactory,
    PurgeRunFactory,
    SubjectRequestFactory,
)
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
# Wednesday 10 June 2026, noon in Tallinn.
NOW = dt.datetime(2026, 6, 10, 12, 0, tzinfo=TALLINN)


def _request(received: dt.datetime, **fields: object) -> None:
    SubjectRequestFactory.create(received_at=received, **fields)


def _closed(rtype: str, status: str, received: dt.datetime, days: float) -> None:
    _request(received, type=rtype, status=status, closed_at=received + dt.timedelta(days=days))


@pytest.fixture
def requests(seeded: None) -> None:
    with time_machine.travel(NOW, tick=False):
        # Access: answered in 3, 10 and 20 days (median 10), one refused after 4, one open.
        for days in (3, 10, 20):
            _closed("access", "completed", NOW - dt.timedelta(days=60), days)
        _closed("access", "rejected", NOW - dt.timedelta(days=50), 4)
        _request(NOW - dt.timedelta(days=40), type="access")  # due 10 July: 15-30 days? no
        # Erasure: two answered in 5 and 8 days: the median of an even count is the middle.
        _closed("erasure", "completed", NOW - dt.timedelta(days=30), 5)
        _closed("erasure", "completed", NOW - dt.timedelta(days=20), 8)
        # Older than 12 months: outside the per-right figures.
        _closed("access", "completed", NOW - dt.timedelta(days=400), 90)
        # Open: one received two days ago, one overdue (received 45 days ago).
        _request(NOW - dt.timedelta(days=2), type="portability", status="verified")
        _request(NOW - dt.timedelta(days=45), type="copy", status="in_progress")


def test_the_per_right_figures_and_their_medians(requests: None) -> None:
    with time_machine.travel(NOW, tick=False):
        figures = {f.type: f for f in figures_per_right(now=NOW)}
    access = figures["access"]
    assert (access.received, access.completed, access.refused) == (5, 3, 1)
    # 3, 4, 10, 20 days: completed and refused are both answers.
    assert access.median_days == 7.0
    assert figures["erasure"].median_days == 6.5
    assert figures["rectification"].received == 0
    assert figures["rectification"].median_days is None


def test_open_requests_by_status_and_days_left(requests: None) -> None:
    with time_machine.travel(NOW, tick=False):
        by_status = {b.url: b.value for b in open_by_status()}
        by_days = {b.label: b.value for b in open_by_days_left(now=NOW)}
    assert by_status == {
        "?status=received": 1,
        "?status=awaiting_identity": 0,
        "?status=verified": 1,
        "?status=in_progress": 1,
    }
    # Received 45 days ago: due one month after receipt, so past; 40 days ago: past too
    # (one month); 2 days ago: due in about 29 days.
    assert by_days["overdue"] == 2
    assert by_days["15–30 days"] == 1
    assert sum(by_days.values()) == 3


def test_requests_received_per_week_for_26_weeks(requests: None) -> None:
    with time_machine.travel(NOW, tick=False):
        weeks = received_per_week(now=NOW)
    assert len(weeks) == 26
    assert weeks[-1].label == "08.06"  # this week's Monday
    assert weeks[-1].value == 1  # received on Monday 8 June
    assert sum(b.value for b in weeks) == 9  # the one of 400 days ago is not in 26 weeks


def test_withdrawals_objections_and_purges_per_period(seeded: None, marketing: object) -> None:
    person = DataSubjectFactory.create()
    with time_machine.travel(NOW, tick=False):
        for kind, days in (("withdrawn", 1), ("withdrawn", 9), ("objected", 2), ("granted", 1)):
            ConsentEventFactory.create(
                subject=person,
                purpose=marketing,
                kind=kind,
                occurred_at=NOW - dt.timedelta(days=days),
            )
        PurgeRunFactory.create(as_of=dt.date(2026, 6, 9), total=120)
        PurgeRunFactory.create(as_of=dt.date(2026, 6, 8), total=5, status="failed")
        consent = consent_per_week(now=NOW)
        purged = purged_per_night(now=NOW)
    assert ConsentEvent.objects.count() == 4
    assert consent[-1].values == (1, 1)  # 9 June withdrawal, 8 June objection
    assert consent[-2].values == (1, 0)  # 1 June
    assert len(purged) == 60
    assert purged[-2].label == "09.06" and purged[-2].value == 120
    assert purged[-3].value == 0  # a failed run purged nothing


def test_people_by_storage_location(seeded: None) -> None:
    DataSubjectFactory.create_batch(2, country="EE")
    DataSubjectFactory.create(country="SG")
    storage = {b.label: b.value for b in people_by_storage()}
    assert storage == {"AU": 1, "EU": 3}


def test_the_dashboard_is_the_dpos_home_and_its_charts_have_tables(
    requests: None, dpo: User, staff: User, client_for: ClientFor
) -> None:
    with time_machine.travel(NOW, tick=False):
        html = client_for(dpo).get("/").content.decode()
    assert "DPO dashboard" in html
    assert html.count("<h2>Today</h2>") == 1  # the panels once, after the lead
    assert 'data-testid="overdue">2<' in html
    assert html.count("<svg viewBox") >= 4  # the charts with data; the others say so
    assert html.count("The numbers") == 9  # each chart has its table
    assert "pattern-hatch" in html  # the second series is hatched, not only coloured
    assert "<td>Access to my data</td><td>5</td><td>3</td><td>1</td><td>7.0</td>" in html
    assert "DPO dashboard" not in client_for(staff).get("/").content.decode()


def test_the_dashboard_runs_a_constant_number_of_queries(
    requests: None, dpo: User, client_for: ClientFor
) -> None:
    client = client_for(dpo)

    def count() -> int:
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as q:
            assert client.get("/dashboard/").status_code == 200
        return len(q)

    count()  # the first load also fills caches (the session, the audit-chain alarm)
    before = count()
    with time_machine.travel(NOW, tick=False):
        for n in range(30):
            _closed("rectification", "completed", NOW - dt.timedelta(days=n + 1), 2)
    assert count() == before
    assert before <= 30


def test_every_count_of_the_requests_panel_opens_a_queue_of_as_many_requests(
    seeded: None, dpo: User, settings: Any
) -> None:
    """ "0 paused" opens an empty queue, "4 overdue" a queue of four: each line's link filters
    the queue to exactly the requests it counts."""
    import re
    from io import StringIO

    from django.core.management import call_command
    from django.test import Client

    call_command("seed_demo", "--subjects", "60", stdout=StringIO())
    settings.DEBUG = True  # the demo logins and activity refuse to run elsewhere
    call_command("demo_users", "-v0", stdout=StringIO())
    call_command("demo_activity", stdout=StringIO(), stderr=StringIO())
    settings.DEBUG = False
    client = Client()
    client.force_login(dpo)
    home = client.get("/dashboard/").content.decode()
    lines = re.findall(r'<a href="(/requests/[^"]*)">(\d+) ([^<]+)</a>', home)
    assert len(lines) >= 6, home
    for url, count, words in lines:
        queue = client.get(url.replace("&amp;", "&")).content.decode()
        shown = re.search(r"(\d+) requests?</p>", queue)
        listed = int(shown.group(1)) if shown else 0
        assert listed == int(count), f"{count} {words}: the queue lists {listed}"
        if listed == 0:
            assert "No request matches these filters." in queue, url
