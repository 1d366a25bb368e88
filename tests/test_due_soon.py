"""One predicate each for "due soon" and "overdue": the home page counts what the queue lists
when its link is followed, and the reminders name the same requests."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from subject_requests.models import DUE_SOON_DAYS, ReminderSent, Status, SubjectRequest
from subject_requests.services.reminders import run_daily_reminders
from tests.factories import SubjectRequestFactory
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
# Monday 2 March 2026: requests received on 31 January have their target (Saturday 28
# February) behind them and their legal due day today.
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TALLINN)


def received(month: int, day: int) -> dt.datetime:
    return dt.datetime(2026, month, day, 10, 0, tzinfo=TALLINN)


@pytest.fixture
def population(staff: User) -> dict[str, SubjectRequest]:
    make = SubjectRequestFactory.create
    return {
        # Due Friday 27 February: overdue since Saturday.
        "overdue": make(received_at=received(1, 27), assignee=staff),
        # Target Saturday 28 February passed, due today: due soon, not overdue.
        "target_passed": make(received_at=received(1, 31), assignee=staff),
        # Target and due Monday 9 March: today + 7, the last day that is "soon".
        "last_soon": make(received_at=received(2, 9), assignee=staff),
        # Target Tuesday 10 March: today + 8, not yet.
        "not_yet": make(received_at=received(2, 10), assignee=staff),
        # Its clock is stopped: neither soon nor overdue, whatever its days.
        "paused": make(received_at=received(1, 27), paused_since=NOW, assignee=staff),
        "closed": make(received_at=received(1, 27), status=Status.COMPLETED, assignee=staff),
    }


def home_counts(client: Client) -> dict[str, tuple[int, str]]:
    page = client.get("/").content.decode()
    found = {}
    for url, n, label in re.findall(r'<a href="([^"]+)">(\d+) (overdue|due within \d+ days)', page):
        found[label.split()[0]] = (int(n), url)
    return found


def listed(client: Client, url: str) -> set[str]:
    return set(re.findall(r"DSR-\d{4}-\d{6}", client.get(url).content.decode()))


def test_the_home_page_counts_equal_the_lists_their_links_open(
    client_for: ClientFor, dpo: User, population: dict[str, SubjectRequest]
) -> None:
    client = client_for(dpo)
    with time_machine.travel(NOW, tick=False):
        counts = home_counts(client)
        assert set(counts) == {"overdue", "due"}
        overdue_count, overdue_url = counts["overdue"]
        soon_count, soon_url = counts["due"]
        overdue_rows = listed(client, overdue_url)
        soon_rows = listed(client, soon_url)
        page = client.get("/").content.decode()
    assert f"due within {DUE_SOON_DAYS} days" in page
    assert overdue_count == len(overdue_rows)
    assert soon_count == len(soon_rows)
    assert overdue_rows == {population["overdue"].reference}
    assert soon_rows == {population["target_passed"].reference, population["last_soon"].reference}


def test_the_reminders_name_the_same_requests(
    staff: User, population: dict[str, SubjectRequest], client_for: ClientFor, dpo: User
) -> None:
    with time_machine.travel(NOW, tick=False):
        run_daily_reminders()
        counts = home_counts(client_for(dpo))
    sent = ReminderSent.objects.get(assignee=staff)
    assert (sent.overdue, sent.due_soon) == (counts["overdue"][0], counts["due"][0]) == (1, 2)


def test_due_soon_ends_with_the_seventh_day(
    client_for: ClientFor, dpo: User, population: dict[str, SubjectRequest]
) -> None:
    client = client_for(dpo)
    # A day later the target of 10 March is seven days away; 2 March's request is overdue.
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        assert listed(client, "/requests/?due_soon=on") == {
            population["last_soon"].reference,
            population["not_yet"].reference,
        }
        assert listed(client, "/requests/?overdue=on") == {
            population["overdue"].reference,
            population["target_passed"].reference,
        }
