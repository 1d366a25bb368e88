"""Safe to kill and one at a time, on real PostgreSQL with real processes.

`manage.py purge` is SIGKILLed at five different points (the service kills itself when
`PRIVACYOPS_PURGE_KILL_AT` names the point), then run again; the database must end exactly
as after an uninterrupted run: nothing purged twice, nothing left, nothing that must stay
touched.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import DatabaseError, connection, connections, transaction

from retention.models import PurgeBatch, PurgeRun
from subjects.models import (
    Claim,
    Communication,
    DataSubject,
    Demo,
    Invoice,
    OrganisationStatus,
    TrialContent,
    UsageRecord,
)
from tests import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TALLINN = ZoneInfo("Europe/Tallinn")
BASE = dt.datetime(2020, 1, 5, 12, tzinfo=TALLINN)
AS_OF = "2025-06-01"
ROOT = Path(__file__).resolve().parent.parent


def build_world() -> None:
    """A deterministic mix: what must go, what must stay, held and claim-linked people.
    Timestamps are unique so rows can be matched across rebuilds without their ids."""
    from core.seeding import seed_all

    seed_all()
    with time_machine.travel(dt.datetime(2025, 5, 1, 12, tzinfo=TALLINN), tick=False):
        _build()


def _build() -> None:
    tick = iter(range(10_000))

    def moment() -> dt.datetime:
        return BASE + dt.timedelta(minutes=next(tick))

    for i in range(11):
        person = f.ProspectFactory.create(collected_at=moment())
        f.DemoFactory.create(
            subject=person, held_on=dt.date(2020, 2, 1) + dt.timedelta(days=i), notes="Demo"
        )
        f.CommunicationFactory.create(subject=person, sent_at=moment())
        f.UsageRecordFactory.create(subject=person, occurred_at=moment())
    fresh = f.ProspectFactory.create(collected_at=dt.datetime(2025, 3, 1, 12, tzinfo=TALLINN))
    f.CommunicationFactory.create(subject=fresh, sent_at=moment())
    held = f.ProspectFactory.create(collected_at=moment(), legal_hold_reason="Court case")
    f.UsageRecordFactory.create(subject=held, occurred_at=moment())
    claimant = f.ProspectFactory.create(collected_at=moment())
    f.ClaimFactory.create(subject=claimant, fell_due_on=dt.date(2020, 3, 1), amount=Decimal("1"))
    f.UsageRecordFactory.create(subject=claimant, occurred_at=moment())
    paying = f.DataSubjectFactory.create(collected_at=moment())
    f.UsageRecordFactory.create(subject=paying, occurred_at=moment())
    for i in range(5):
        f.InvoiceFactory.create(number=f"OLD-{i}", issued_on=dt.date(2010, 1, 1 + i))
    f.InvoiceFactory.create(number="NEW-0", issued_on=dt.date(2024, 1, 1))
    for _ in range(4):
        f.TrialContentFactory.create(trial__ended_on=dt.date(2024, 1, 1), created_at=moment())
    f.TrialContentFactory.create(
        trial__ended_on=dt.date(2024, 1, 1),
        trial__converted_on=dt.date(2024, 1, 1),
        created_at=moment(),
    )
    for i in range(3):
        f.ClaimFactory.create(
            fell_due_on=dt.date(2012, 1, 1),
            closed_on=dt.date(2013, 1, 1),
            amount=Decimal(100 + i),
        )
    former = f.OrganisationFactory.create(
        status=OrganisationStatus.FORMER, contract_ended_on=dt.date(2020, 1, 1)
    )
    f.DataSubjectFactory.create(organisation=former, collected_at=moment())


def snapshot() -> dict[str, Any]:
    """The domain state, keyed by values that survive anonymisation (not by ids)."""
    return {
        "subjects": sorted(
            (
                s.collected_at.isoformat(),
                s.anonymised_at is None,
                bool(s.first_name),
                s.work_email is not None,
            )
            for s in DataSubject.objects.all()
        ),
        "demos": sorted((d.held_on.isoformat(), d.notes) for d in Demo.objects.all()),
        "messages": sorted(
            (c.sent_at.isoformat(), c.body, c.subject_id is None)
            for c in Communication.objects.all()
        ),
        "usage": sorted(
            (u.occurred_at.isoformat(), u.subject_id is None, u.details)
            for u in UsageRecord.objects.all()
        ),
        "invoices": sorted(
            (i.number, i.billing_name, i.anonymised_at is None) for i in Invoice.objects.all()
        ),
        "claims": sorted(
            (str(c.amount), c.description, c.anonymised_at is None) for c in Claim.objects.all()
        ),
        "contents": sorted(t.created_at.isoformat() for t in TrialContent.objects.all()),
    }


def wipe() -> None:
    # The CASCADE reaches the consent ledger, whose trigger refuses TRUNCATE: this test-only
    # wipe runs with triggers off for its own transaction (as the suite's flush does).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "TRUNCATE retention_purgebatch, retention_purgerun, subjects_usagerecord, "
            "subjects_communication, subjects_demo, subjects_trialcontent, subjects_trial, "
            "subjects_claim, subjects_invoice, subjects_kindchange, subjects_datasubject, "
            "subjects_organisation CASCADE"
        )


def purge_command(kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/"
            f"{settings['NAME']}"
        ),
        "PRIVACYOPS_TESTING": "1",
    }
    env.pop("PRIVACYOPS_PURGE_KILL_AT", None)
    if kill_at:
        env["PRIVACYOPS_PURGE_KILL_AT"] = kill_at
    return subprocess.run(
        [sys.executable, "manage.py", "purge", "--as-of", AS_OF, "--json", "--batch-size", "3"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# The world before and after an uninterrupted run, made once per worker for the kill points
# it runs (the snapshots name no ids, so they compare across rebuilds).
_uninterrupted: dict[str, dict[str, Any]] = {}


def uninterrupted_run() -> tuple[dict[str, Any], dict[str, Any]]:
    if not _uninterrupted:
        build_world()
        before = snapshot()
        clean = purge_command()
        assert clean.returncode == 0, clean.stderr
        _uninterrupted.update(before=before, after=snapshot())
        assert _uninterrupted["after"] != before
        wipe()
    return _uninterrupted["before"], _uninterrupted["after"]


@pytest.mark.parametrize(
    "kill_at",
    ["claimed", "in-batch:2", "after-batch:4", "before-summary:2", "before-finish"],
)
def test_a_purge_killed_at_any_point_and_rerun_ends_as_an_uninterrupted_run(
    kill_at: str,
) -> None:
    before, expected = uninterrupted_run()
    build_world()
    assert snapshot() == before
    killed = purge_command(kill_at)
    assert killed.returncode == -9, killed.stderr  # SIGKILL: no cleanup ran
    assert PurgeRun.objects.get().status == "running"  # the marker a dead run leaves
    rerun = purge_command()
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["status"] == "succeeded"
    assert snapshot() == expected
    # Nothing done twice: every primary record is in exactly one committed batch.
    logged = [
        (b.rule_code, pk)
        for b in PurgeBatch.objects.all()
        for pk in b.object_ids.strip(",").split(",")
        if pk
    ]
    assert len(logged) == len(set(logged))
    dead = PurgeRun.objects.order_by("pk").first()
    assert dead is not None and dead.status == "failed" and "taken over" in dead.note


def test_two_concurrent_runs_do_the_work_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from retention.services import purge as purge_module

    build_world()
    first_has_lock = threading.Event()
    second_done = threading.Event()
    real_crash_point = purge_module._crash_point

    def pause_first(name: str) -> None:
        if name == "claimed" and threading.current_thread().name == "first":
            first_has_lock.set()
            second_done.wait(30)
        real_crash_point(name)

    monkeypatch.setattr(purge_module, "_crash_point", pause_first)
    results: dict[str, PurgeRun] = {}

    def run(name: str) -> None:
        try:
            results[name] = purge_module.run_purge(
                as_of=dt.date(2025, 6, 1), dry_run=False, actor=name, batch_size=3
            )
        finally:
            if name == "second":
                second_done.set()
            connections.close_all()

    first = threading.Thread(target=run, args=("first",), name="first")
    first.start()
    assert first_has_lock.wait(30)
    second = threading.Thread(target=run, args=("second",), name="second")
    second.start()
    second.join(60)
    first.join(60)
    assert results["second"].status == "skipped"
    assert f"Purge #{results['first'].pk} is running" in results["second"].note
    assert results["first"].status == "succeeded"
    assert results["first"].total > 0
    assert PurgeBatch.objects.filter(run=results["second"]).count() == 0
    assert PurgeRun.objects.filter(status="succeeded").count() == 1


def test_a_running_marker_left_by_a_dead_process_is_taken_over_at_once() -> None:
    build_world()
    killed = purge_command("after-batch:1")
    assert killed.returncode == -9
    # Its heartbeat is fresh, but the advisory lock is free: the owner is dead.
    rerun = purge_command()
    payload = json.loads(rerun.stdout)
    assert payload["status"] == "succeeded" and payload["total"] > 0


def test_a_session_holding_the_lock_for_a_stalled_run_is_ended_and_the_run_taken_over(
    settings: Any,
) -> None:
    """A connection can outlive its process (a vanished host leaves the server waiting for
    TCP keepalive): a rerun skips while the run's heartbeat is fresh, exits 75 saying from
    when it takes over, and then ends the silent session and does the work."""
    from retention.services.purge import run_purge
    from tests.test_purge_runs import purge_lock_held_elsewhere

    build_world()
    with time_machine.travel(dt.datetime(2025, 6, 1, 2, 0, tzinfo=TALLINN), tick=False):
        stalled = PurgeRun.objects.create(status="running", as_of=dt.date(2025, 6, 1))
    with purge_lock_held_elsewhere() as holder:
        # The real command, in its own process: the exit status a scheduler sees.
        skipped = purge_command()
        assert skipped.returncode == 75, skipped.stderr
        assert skipped.stderr.strip().splitlines()[-1] == (
            f"CommandError: Skipped. Purge #{stalled.pk} is running (last heartbeat "
            "01.06.2025 02:00). If it has stopped, a run from 01.06.2025 02:15 takes it over."
        )
        assert json.loads(skipped.stdout)["status"] == "skipped"
        settings.PURGE_STALE_AFTER_SECONDS = 1  # so that the holder is silent for long enough
        time.sleep(1.2)
        with time_machine.travel(dt.datetime(2025, 6, 1, 2, 15, tzinfo=TALLINN), tick=False):
            run = run_purge(as_of=dt.date(2025, 6, 1), dry_run=False, actor="rerun")
        assert run.status == "succeeded" and run.total > 0
        with pytest.raises(DatabaseError), holder.cursor() as cursor:
            cursor.execute("SELECT 1")  # its session was ended
    stalled.refresh_from_db()
    assert stalled.status == "failed" and "taken over" in stalled.note
