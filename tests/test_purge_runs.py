"""The purge as a job: one at a time, takeover of a stale marker, dry runs, the command, the
nightly task and its beat entry, the 36-hour alarm."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.http import HttpRequest
from pytest_django import Settings

from core.models import AuditEvent
from retention.models import PurgeBatch, PurgeRun, PurgeRunStatus
from retention.selectors import purge_is_late
from retention.services.purge import PurgeRefused, run_purge
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
