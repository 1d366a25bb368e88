"""The suite's clock: every test, its fixtures and the test database's set-up run
frozen at one instant in Tallinn, whatever the machine's date and time zone; a module or a
test may name another instant; the few tests that need the machine's clock say so."""

from __future__ import annotations

import datetime as dt
import os
import time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from core.timeutil import legal_today
from processing.models import Transfer
from tests.conftest import DEFAULT_TEST_CLOCK, suite_clock

TALLINN = ZoneInfo("Europe/Tallinn")
LEAP_DAY = dt.datetime(2028, 2, 29, 23, 30, tzinfo=TALLINN)


@pytest.fixture
def issued_at() -> dt.datetime:
    """What a fixture reads of the clock (a link issued, a row created)."""
    return timezone.now()


def test_a_test_starts_at_the_suites_instant_and_its_clock_stands_still(
    issued_at: dt.datetime,
) -> None:
    assert timezone.now() == suite_clock() == issued_at
    time.sleep(0.01)
    assert timezone.now() == issued_at  # frozen: nothing moves it but the test


def test_the_machines_time_zone_is_tallinns_during_a_test() -> None:
    assert os.environ["TZ"] == "Europe/Tallinn"
    assert time.localtime().tm_gmtoff == suite_clock().utcoffset().total_seconds()  # type: ignore[union-attr]


def test_the_suites_instant_is_read_in_tallinn_when_it_names_no_offset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PRIVACYOPS_TEST_CLOCK", raising=False)
    assert suite_clock() == DEFAULT_TEST_CLOCK
    monkeypatch.setenv("PRIVACYOPS_TEST_CLOCK", "2028-02-29T10:00")
    assert suite_clock() == dt.datetime(2028, 2, 29, 10, 0, tzinfo=TALLINN)
    monkeypatch.setenv("PRIVACYOPS_TEST_CLOCK", "2028-02-29T10:00+00:00")
    assert suite_clock() == dt.datetime(2028, 2, 29, 12, 0, tzinfo=TALLINN)


@pytest.mark.clock(LEAP_DAY)
def test_a_marked_test_and_its_fixtures_share_the_instant_it_names(
    issued_at: dt.datetime,
) -> None:
    assert issued_at == timezone.now() == LEAP_DAY
    assert timezone.localdate() == dt.date(2028, 2, 29)


def test_the_clock_fixture_moves_the_frozen_clock(clock: time_machine.Traveller) -> None:
    before = timezone.now()
    clock.shift(dt.timedelta(days=1))
    assert timezone.now() - before == dt.timedelta(days=1)


@pytest.mark.wall_clock
def test_a_wall_clock_test_reads_the_machines_clock() -> None:
    assert not time_machine.escape_hatch.is_travelling()
    before = time.time()
    time.sleep(0.01)
    assert time.time() > before  # it runs


@pytest.mark.django_db
def test_the_test_databases_migrations_ran_on_the_suites_clock() -> None:
    """The seeded US transfer's certification is dated by its migration on "today": the
    test database was created on the suite's clock, not the machine's."""
    transfer = Transfer.objects.get(destination_country="US")
    assert transfer.certification_checked_on == suite_clock().date() == legal_today()
