"""The purge as a job: one at a time, takeover of a stale marker, dry runs, the command, the
nightly task and its beat entry, the 36-hour alarm."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections
from django.http import HttpRequest
from pytest_django import Settings

from core.models import AuditEvent
from retention.management.commands.purge import EXIT_SKIPPED
from retention.models import PurgeBatch, PurgeRun, PurgeRunStatus
from retention.selectors import purge_is_late
from retention.services import purge as purge_service
from retention.services.purge import (
    ADVISORY_LOCK_KEY,
    BATCH_SIZE,
    SQLITE_BATCH_SIZE,
    PurgeRefused,
    default_batch_size,
    run_purge,
)
from subjects.models import DataSubject
from subjects.services import set_organisation_legal_hold, set_subject_legal_hold
from tests import factories as f
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
D = dt.date
NOW = dt.datetime(2025, 6, 1, 2, 0, tzinfo=TALLINN)
LONG_AGO = dt.datetime(2020, 1, 5, 12, tzinfo=TALLINN)


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_a_purge_as_of_a_future_day_is_refused_unless_dry(
    seeded: None, frozen: time_machine.Traveller
) -> None:
    with pytest.raises(PurgeRefused):
        run_purge(as_of=D(2025, 6, 2), dry_run=False, actor="test")
    run = run_purge(as_of=D(2030, 1, 1), dry_run=True, actor="test")
    assert run.dry_run and run.status == PurgeRunStatus.SUCCEEDED


def test_a_dry_run_counts_what_the_purge_would_do_and_changes_nothing(
    seeded: None, frozen: time_machine.Traveller
) -> None:
    prospects = [f.ProspectFactory.create(collected_at=LONG_AGO) for _ in range(3)]
    dry = run_purge(as_of=D(2025, 6, 1), dry_run=True, actor="test")
    assert dry.counts["prospects-1y"]["records"] == 3 and dry.total == 3
    assert not DataSubject.objects.filter(anonymised_at__isnull=False).exists()
    real = run_purge(as_of=D(2025, 6, 1), dry_run=False, actor="test")
    assert real.counts["prospects-1y"]["records"] == 3
    assert {p.pk for p in prospects} == set(
        DataSubject.objects.filter(anonymised_at__isnull=False).values_list("pk", flat=True)
    )


def test_batches_are_bounded_and_each_is_logged(
    seeded: None, frozen: time_machine.Traveller
) -> None:
    for _ in range(7):
        f.ProspectFactory.create(collected_at=LONG_AGO)
    run = run_purge(as_of=D(2025, 6, 1), dry_run=False, actor="test", batch_size=3)
    assert list(PurgeBatch.objects.filter(run=run).values_list("rows", flat=True)) == [3, 3, 1]
    assert run.total == 7 and run.status == PurgeRunStatus.SUCCEEDED


def test_the_batch_is_the_databases_own_size_unless_the_command_names_one(
    seeded: None, frozen: time_machine.Traveller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20 000 on PostgreSQL (one array a statement), 5 000 where each id is bound alone."""
    expected = BATCH_SIZE if connection.vendor == "postgresql" else SQLITE_BATCH_SIZE
    assert default_batch_size() == expected
    monkeypatch.setattr(purge_service, "BATCH_SIZE", 2)
    monkeypatch.setattr(purge_service, "SQLITE_BATCH_SIZE", 2)
    for _ in range(5):
        f.ProspectFactory.create(collected_at=LONG_AGO)
    run = run_purge(as_of=D(2025, 6, 1), dry_run=True, actor="test")
    assert run.total == 5
    call_command("purge", "--as-of", "2025-06-01", stdout=io.StringIO())
    run = PurgeRun.objects.filter(dry_run=False).latest("pk")
    assert list(PurgeBatch.objects.filter(run=run).values_list("rows", flat=True)) == [2, 2, 1]
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        call_command("purge", "--batch-size", "0", stdout=io.StringIO())


def test_a_second_run_while_one_is_running_is_skipped(
    seeded: None, frozen: time_machine.Traveller
) -> None:
    running = PurgeRun.objects.create(status=PurgeRunStatus.RUNNING, as_of=D(2025, 6, 1))
    f.ProspectFactory.create(collected_at=LONG_AGO)
    run = run_purge(as_of=D(2025, 6, 1), dry_run=False, actor="test")
    if connection.vendor == "postgresql":
        # Holding the advisory lock proves the marker's owner is dead: taken over at once.
        assert run.status == PurgeRunStatus.SUCCEEDED
        running.refresh_from_db()
        assert running.status == PurgeRunStatus.FAILED
        return
    assert run.status == PurgeRunStatus.SKIPPED and "is running" in run.note
    assert DataSubject.objects.filter(anonymised_at__isnull=True).count() == 1
    running.refresh_from_db()
    assert running.status == PurgeRunStatus.RUNNING
    assert AuditEvent.objects.filter(action="retention.purge.skipped").count() == 1


@contextmanager
def purge_lock_held_elsewhere() -> Iterator[Any]:
    """On PostgreSQL another session holds the purge's lock for the block, as a run in
    another process does (its connection, to end it early); on SQLite there is no such lock."""
    if connection.vendor != "postgresql":
        yield None
        return
    holder = connections.create_connection("default")
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
    try:
        yield holder
    finally:
        with suppress(DatabaseError):  # ended by a run that took the purge over
            holder.close()


def test_a_skipped_purge_exits_75_and_says_from_when_a_stopped_run_is_taken_over(
    seeded: None, settings: Settings
) -> None:
    settings.PURGE_STALE_AFTER_SECONDS = 900
    heartbeat = dt.datetime(2025, 6, 1, 1, 55, 30, tzinfo=TALLINN)
    running = PurgeRun.objects.create(
        status=PurgeRunStatus.RUNNING, as_of=D(2025, 6, 1), heartbeat_at=heartbeat
    )
    f.ProspectFactory.create(collected_at=LONG_AGO)
    out = io.StringIO()
    with purge_lock_held_elsewhere() as holder:
        for moment in (NOW, dt.datetime(2025, 6, 1, 2, 10, 29, tzinfo=TALLINN)):
            with time_machine.travel(moment, tick=False), pytest.raises(CommandError) as skip:
                call_command("purge", stdout=out)
            assert skip.value.returncode == EXIT_SKIPPED == 75
            # 01:55:30 and fifteen minutes is 02:10:30: from 02:11, to the minute shown.
            assert str(skip.value) == (
                f"Skipped. Purge #{running.pk} is running (last heartbeat 01.06.2025 01:55). "
                "If it has stopped, a run from 01.06.2025 02:11 takes it over."
            )
        if holder is not None:  # the process stopped: the server lets its lock go
            with holder.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock_all()")
        with time_machine.travel(dt.datetime(2025, 6, 1, 2, 11, tzinfo=TALLINN), tick=False):
            call_command("purge", stdout=out)
    assert "Skipped. Purge #" in out.getvalue()
    skipped = PurgeRun.objects.filter(status=PurgeRunStatus.SKIPPED)
    assert skipped.count() == 2 and all("02:11 takes it over" in r.note for r in skipped)
    assert PurgeRun.objects.filter(status=PurgeRunStatus.SUCCEEDED).get().total == 1
    running.refresh_from_db()
    assert running.status == PurgeRunStatus.FAILED and "taken over" in running.note


def test_the_purge_commands_help_states_its_exit_statuses() -> None:
    from retention.management.commands.purge import Command

    text = " ".join(Command().create_parser("manage.py", "purge").format_help().split())
    assert "Exit status: 0 the purge ran" in text and "75 skipped" in text


def test_a_stale_running_marker_is_taken_over(seeded: None, settings: Settings) -> None:
    settings.PURGE_STALE_AFTER_SECONDS = 900
    with time_machine.travel(NOW - dt.timedelta(minutes=20), tick=False):
        dead = PurgeRun.objects.create(status=PurgeRunStatus.RUNNING, as_of=D(2025, 5, 31))
    f.ProspectFactory.create(collected_at=LONG_AGO)
    with time_machine.travel(NOW, tick=False):
        run = run_purge(as_of=D(2025, 6, 1), dry_run=False, actor="test")
    assert run.status == PurgeRunStatus.SUCCEEDED and run.total == 1
    dead.refresh_from_db()
    assert dead.status == PurgeRunStatus.FAILED and "taken over" in dead.note


def test_a_failing_run_is_marked_failed_and_does_not_block_the_next(
    seeded: None, frozen: time_machine.Traveller, monkeypatch: pytest.MonkeyPatch
) -> None:
    from subjects.retention import ProspectData

    f.ProspectFactory.create(collected_at=LONG_AGO)

    def explode(*args: object, **kwargs: object) -> NoReturn:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ProspectData, "apply", explode)
    with pytest.raises(RuntimeError):
        run_purge(as_of=D(2025, 6, 1), dry_run=False, actor="test")
    failed = PurgeRun.objects.get()
    assert failed.status == PurgeRunStatus.FAILED and failed.note == "failed: RuntimeError"
    monkeypatch.undo()
    assert run_purge(as_of=D(2025, 6, 1), dry_run=False, actor="test").total == 1


def test_purge_command_prints_per_rule_counts_and_a_total_as_json(
    seeded: None, frozen: time_machine.Traveller
) -> None:
    f.ProspectFactory.create(collected_at=LONG_AGO)
    f.InvoiceFactory.create(issued_on=D(2010, 1, 1))
    out = io.StringIO()
    call_command("purge", "--dry-run", "--as-of", "2025-06-01", "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["dry_run"] is True and payload["total"] == 2
    assert payload["rules"]["prospects-1y"]["records"] == 1
    assert payload["rules"]["invoices-7y"]["records"] == 1
    out = io.StringIO()
    call_command("purge", "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert (payload["status"], payload["as_of"], payload["total"]) == (
        "succeeded",
        "2025-06-01",
        2,
    )


def test_purge_command_explains_a_bad_date_and_a_future_day(
    seeded: None, frozen: time_machine.Traveller
) -> None:
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("purge", "--as-of", "1.6.2025")
    with pytest.raises(CommandError, match="only a dry run"):
        call_command("purge", "--as-of", "2025-06-02")


def test_nightly_task_purges_as_of_today_in_tallinn(seeded: None) -> None:
    from retention.tasks import nightly_purge

    # 23:30 UTC on 31 May is 02:30 on 1 June in Tallinn.
    with time_machine.travel(dt.datetime(2025, 5, 31, 23, 30, tzinfo=dt.UTC), tick=False):
        nightly_purge.delay()
    run = PurgeRun.objects.get()
    assert run.as_of == D(2025, 6, 1) and run.actor_label == "nightly-purge"


def test_a_skipped_nightly_task_is_listed_as_skipped_and_warns_in_the_workers_log(
    seeded: None, frozen: time_machine.Traveller, caplog: pytest.LogCaptureFixture
) -> None:
    from retention.tasks import nightly_purge

    running = PurgeRun.objects.create(status=PurgeRunStatus.RUNNING, as_of=D(2025, 5, 31))
    with purge_lock_held_elsewhere(), caplog.at_level("WARNING", logger="retention.tasks"):
        pk = nightly_purge.delay().get()
    skipped = PurgeRun.objects.get(pk=pk)
    assert skipped.status == PurgeRunStatus.SKIPPED and f"#{running.pk} is running" in skipped.note
    warned = [record.getMessage() for record in caplog.records]
    assert warned == [f"nightly purge #{pk} skipped: {skipped.note}"]


def test_the_nightly_beat_entry_is_present_after_migrate(seeded: None) -> None:
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="nightly-purge")
    assert task.task == "retention.tasks.nightly_purge"
    assert (task.crontab.hour, task.crontab.minute) == ("2", "0")
    assert str(task.crontab.timezone) == "Europe/Tallinn"
    assert task.enabled


def test_the_alarm_shows_when_no_purge_succeeded_for_36_hours(
    seeded: None, dpo: User, staff: User
) -> None:
    from retention.alarms import purge_alarm

    with time_machine.travel(NOW, tick=False):
        f.PurgeRunFactory.create(finished_at=NOW - dt.timedelta(hours=35))
        assert not purge_is_late()
    with time_machine.travel(NOW + dt.timedelta(hours=2), tick=False):
        assert purge_is_late()

        request = HttpRequest()
        request.user = dpo
        assert purge_alarm(request) != []
        request.user = staff
        assert purge_alarm(request) == []


def test_the_alarm_goes_as_soon_as_a_purge_succeeds_though_the_purge_leaves_the_cache_alone(
    seeded: None, django_assert_num_queries: Any
) -> None:
    from django.core.cache import cache

    from retention.lastrun import NOT_LATE_BEFORE_KEY

    with time_machine.travel(NOW, tick=False):
        f.PurgeRunFactory.create(finished_at=NOW - dt.timedelta(hours=40))
        assert purge_is_late()
        assert cache.get(NOT_LATE_BEFORE_KEY) is None  # a late purge is never kept
        run = run_purge(as_of=NOW.date(), dry_run=False, actor="test")
        assert run.status == PurgeRunStatus.SUCCEEDED
        assert cache.get(NOT_LATE_BEFORE_KEY) is None  # the purge told the cache nothing
        assert not purge_is_late()
        assert run.finished_at is not None
        assert cache.get(NOT_LATE_BEFORE_KEY) == run.finished_at + dt.timedelta(hours=36)
        with django_assert_num_queries(0):  # every page after it: the cache answers
            assert not purge_is_late()
    with time_machine.travel(run.finished_at + dt.timedelta(hours=36), tick=False):
        assert not purge_is_late()  # late after 36 hours, not at them
    with time_machine.travel(run.finished_at + dt.timedelta(hours=36, seconds=1), tick=False):
        assert purge_is_late()


def test_the_dpo_sees_the_alarm_on_every_page(
    seeded: None, dpo: User, client_for: ClientFor
) -> None:
    from retention.selectors import retention_installed_at

    installed_at = retention_installed_at()
    assert installed_at is not None
    two_days_later = installed_at + dt.timedelta(days=2)
    with time_machine.travel(two_days_later, tick=False):
        response = client_for(dpo).get("/")
    assert "No purge has succeeded for 36 hours" in response.content.decode()


def test_a_fresh_install_is_not_in_alarm_until_36_hours_have_passed(seeded: None) -> None:
    from retention.selectors import retention_installed_at

    installed = retention_installed_at()
    assert installed is not None
    with time_machine.travel(installed + dt.timedelta(hours=35), tick=False):
        assert not purge_is_late()
    with time_machine.travel(installed + dt.timedelta(hours=37), tick=False):
        assert purge_is_late()


def test_a_hold_set_after_the_day_a_purge_runs_as_of_still_stops_it(
    seeded: None, frozen: time_machine.Traveller, dpo: Any
) -> None:
    """A run `--as-of` an earlier day (a missed night made up) meets every
    hold in place when it runs — the person's own and their organisation's."""
    held = f.ProspectFactory.create(collected_at=LONG_AGO)
    company = f.ProspectFactory.create(collected_at=LONG_AGO)
    free = f.ProspectFactory.create(collected_at=LONG_AGO)
    set_subject_legal_hold(
        subject=held, actor=dpo, reason="Court order 12/2025", review_on=D(2026, 1, 1)
    )
    assert company.organisation is not None
    set_organisation_legal_hold(
        organisation=company.organisation, actor=dpo, reason="Audit", review_on=D(2026, 1, 1)
    )
    for dry_run in (True, False):
        run = run_purge(as_of=D(2025, 5, 20), dry_run=dry_run, actor="test")
        assert run.counts["prospects-1y"]["records"] == 1, run.counts
    erased = DataSubject.objects.filter(anonymised_at__isnull=False)
    assert set(erased.values_list("pk", flat=True)) == {free.pk}
