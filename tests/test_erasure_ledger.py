"""Every erasure is in the erasure ledger before its data goes, in the same
transaction, with ids, rule and reason only; the ledger is append-only and copied outside the
database after commit."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import transaction

from consent.services import erase_objecting_prospect
from core.appendonly import AppendOnlyError
from retention.ledger import (
    LedgerCopyError,
    append_to_copy,
    copy_path,
    export_missing,
    read_copy,
)
from retention.models import ErasureEntry, RetentionRule
from retention.registry import registry
from retention.selectors import coverage_findings
from retention.services.purge import run_purge
from subjects.models import DataSubject
from subjects.services import SubjectsOnLegalHold, defer_erasure, erase_subjects
from tests import factories as f
from tests.fixture_types import ClientFor
from tests.retention_helpers import purge

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
LONG_AGO = dt.datetime(2020, 1, 5, 12, tzinfo=TALLINN)
PURGE_DAY = dt.date(2025, 6, 1)

# What the people below carry: none of it may reach the ledger or its copy.
PERSONAL = ("Mari", "Maasikas", "mari@prospect.example", "Jaan", "Tamm", "jaan@client.example")


def expired_prospect() -> DataSubject:
    person = f.ProspectFactory.create(
        collected_at=LONG_AGO,
        first_name="Mari",
        last_name="Maasikas",
        work_email="mari@prospect.example",
    )
    f.CommunicationFactory.create(subject=person, sent_at=LONG_AGO, body="Call me, Mari")
    return person


def client() -> DataSubject:
    return f.DataSubjectFactory.create(
        first_name="Jaan", last_name="Tamm", work_email="jaan@client.example"
    )


def entries_before(
    monkeypatch: pytest.MonkeyPatch, target: Any, name: str
) -> list[list[ErasureEntry]]:
    """Wrap `target.name` so each call first records the ledger as it stands at that moment,
    inside the caller's transaction."""
    seen: list[list[ErasureEntry]] = []
    original = getattr(target, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        seen.append(list(ErasureEntry.objects.all()))
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapped)
    return seen


def test_a_purge_batch_is_in_the_ledger_before_its_statements_run(
    seeded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = [expired_prospect() for _ in range(3)]
    prospects = registry.get("subjects.prospect")
    seen = entries_before(monkeypatch, prospects, "apply")
    run = purge(PURGE_DAY)
    assert [[e.ids for e in entries] for entries in seen] == [[sorted(p.pk for p in people)]]
    entry = ErasureEntry.objects.get()
    rule = RetentionRule.objects.get(code="prospects-1y")
    assert (entry.source, entry.record_type, entry.action) == ("purge", prospects.code, "anonymise")
    assert (entry.rule_code, entry.reason, entry.purge_run) == (
        rule.code,
        rule.legal_reference,
        run.pk,
    )
    assert all(p.anonymised_at for p in DataSubject.objects.filter(pk__in=entry.ids))


def test_a_purge_writes_one_entry_per_batch_in_purge_order(seeded: None) -> None:
    people = [expired_prospect() for _ in range(5)]
    claim = f.ClaimFactory.create(fell_due_on=dt.date(2012, 1, 1))
    with time_machine.travel(dt.datetime(2025, 6, 1, 3, tzinfo=TALLINN)):
        run_purge(as_of=PURGE_DAY, dry_run=False, actor="test", batch_size=2)
    entries = list(ErasureEntry.objects.order_by("recorded_at", "id"))
    assert [(e.rule_code, e.ids) for e in entries] == [
        ("claims-10y", [claim.pk]),
        *[("prospects-1y", [p.pk for p in people[i : i + 2]]) for i in (0, 2, 4)],
    ]


def test_erasure_on_request_is_in_the_ledger_before_the_people_are_erased(
    seeded: None, dpo: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from subjects.services import erasure as erasure_module

    people = [client(), expired_prospect()]
    seen = entries_before(monkeypatch, erasure_module, "erase_people")
    erase_subjects(subject_ids=[p.pk for p in people], actor=dpo, reason="GDPR Art. 17")
    assert [[(e.action, e.ids) for e in entries] for entries in seen] == [
        [("anonymise", sorted(p.pk for p in people))]
    ]
    entry = ErasureEntry.objects.get()
    assert (entry.source, entry.record_type, entry.rule_code, entry.reason) == (
        "erasure",
        "subjects.erasure_requested",
        "",
        "GDPR Art. 17",
    )
    assert entry.purge_run is None


def test_people_already_anonymised_are_not_entered_again(seeded: None, dpo: User) -> None:
    person = client()
    erase_subjects(subject_ids=[person.pk], actor=dpo, reason="GDPR Art. 17")
    erase_subjects(subject_ids=[person.pk], actor=dpo, reason="GDPR Art. 17")
    assert ErasureEntry.objects.count() == 1


def test_a_deferred_erasure_is_in_the_ledger_as_deferred(seeded: None, dpo: User) -> None:
    held = f.DataSubjectFactory.create(legal_hold_reason="Court case")
    marked = defer_erasure(subject_ids=[held.pk], actor=dpo, reason="GDPR Art. 17")
    entry = ErasureEntry.objects.get()
    assert (entry.action, entry.ids, entry.record_type) == (
        "defer",
        marked,
        "subjects.erasure_requested",
    )


def test_an_erasure_refused_for_a_legal_hold_leaves_no_entry(
    seeded: None, dpo: User, django_capture_on_commit_callbacks: Any, erasure_ledger_dir: Path
) -> None:
    free, held = client(), f.DataSubjectFactory.create(legal_hold_reason="Court case")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(SubjectsOnLegalHold),
    ):
        erase_subjects(subject_ids=[free.pk, held.pk], actor=dpo, reason="GDPR Art. 17")
    assert not ErasureEntry.objects.exists()
    assert not erasure_ledger_dir.exists()


def test_an_objecting_prospect_s_erasure_is_in_the_ledger_with_its_article(
    seeded: None,
) -> None:
    prospect = f.ProspectFactory.create(first_name="Mari", work_email="mari@prospect.example")
    assert erase_objecting_prospect(subject_id=prospect.pk) == 1
    entry = ErasureEntry.objects.get()
    assert (entry.source, entry.action, entry.ids) == ("erasure", "anonymise", [prospect.pk])
    assert "Art. 21(2)" in entry.reason


def test_closed_requests_are_in_the_ledger_when_the_purge_anonymises_them(seeded: None) -> None:
    request = f.SubjectRequestFactory.create(
        status="completed", closed_at=dt.datetime(2020, 3, 1, 12, tzinfo=TALLINN)
    )
    purge(PURGE_DAY)
    entry = ErasureEntry.objects.get(record_type="subject_requests.request")
    assert (entry.rule_code, entry.ids) == ("requests-3y", [request.pk])


def test_the_ledger_and_its_copy_hold_no_personal_data(
    seeded: None, dpo: User, django_capture_on_commit_callbacks: Any, erasure_ledger_dir: Path
) -> None:
    erased, objecting = client(), expired_prospect()
    held = f.DataSubjectFactory.create(
        first_name="Jaan", last_name="Tamm", legal_hold_reason="Court case"
    )
    purged = expired_prospect()
    DataSubject.objects.filter(pk=objecting.pk).update(collected_at=dt.datetime.now(TALLINN))
    with django_capture_on_commit_callbacks(execute=True):
        erase_subjects(subject_ids=[erased.pk], actor=dpo, reason="GDPR Art. 17")
        defer_erasure(subject_ids=[held.pk], actor=dpo, reason="GDPR Art. 17")
        erase_objecting_prospect(subject_id=objecting.pk)
        purge(PURGE_DAY)
    assert ErasureEntry.objects.count() == 4
    assert purged.pk in ErasureEntry.objects.get(source="purge").ids
    stored = json.dumps(list(ErasureEntry.objects.values()), default=str)
    copied = "".join(p.read_text() for p in erasure_ledger_dir.iterdir())
    assert len(copied.splitlines()) == 4
    for value in PERSONAL:
        assert value not in stored and value not in copied, value


def test_ledger_entries_cannot_be_changed_or_removed_through_the_orm(seeded: None) -> None:
    expired_prospect()
    purge(PURGE_DAY)
    entry = ErasureEntry.objects.get()
    entry.reason = "rewritten"
    refusals: list[Callable[[], object]] = [
        entry.save,
        entry.delete,
        lambda: ErasureEntry.objects.update(reason="rewritten"),
        lambda: ErasureEntry.objects.all().delete(),
        lambda: ErasureEntry.objects.bulk_update([entry], ["reason"]),
    ]
    for refused in refusals:
        with pytest.raises(AppendOnlyError):
            refused()
    assert ErasureEntry.objects.get().reason != "rewritten"


def test_the_ledger_is_a_stated_exemption_of_retention(seeded: None) -> None:
    assert registry.exemption("retention.ErasureEntry") is not None
    assert coverage_findings([ErasureEntry]) == []


# --- the copy outside the database -----------------------------------------------------------


def test_each_entry_is_copied_once_its_transaction_commits(
    seeded: None, dpo: User, django_capture_on_commit_callbacks: Any, erasure_ledger_dir: Path
) -> None:
    person = client()
    with django_capture_on_commit_callbacks(execute=False) as pending:
        erase_subjects(subject_ids=[person.pk], actor=dpo, reason="GDPR Art. 17")
    assert not erasure_ledger_dir.exists()  # not before the commit
    for callback in pending:
        callback()
    entry = ErasureEntry.objects.get()
    (line,) = copy_path(entry.recorded_at.astimezone(TALLINN).date()).read_text().splitlines()
    assert json.loads(line) == {
        "uuid": str(entry.uuid),
        "recorded_at": entry.recorded_at.isoformat(),
        "source": "erasure",
        "record_type": "subjects.erasure_requested",
        "action": "anonymise",
        "rule": "",
        "reason": "GDPR Art. 17",
        "purge_run": None,
        "ids": [person.pk],
    }
    (copied,) = read_copy(erasure_ledger_dir, since=dt.date(2000, 1, 1)).entries
    assert (copied.uuid, copied.ids, copied.recorded_at) == (
        entry.uuid,
        entry.ids,
        entry.recorded_at,
    )


def test_a_copy_that_cannot_be_written_does_not_undo_the_erasure(
    seeded: None,
    dpo: User,
    django_capture_on_commit_callbacks: Any,
    erasure_ledger_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    erasure_ledger_dir.parent.mkdir(parents=True, exist_ok=True)
    erasure_ledger_dir.write_text("a file where the folder should be")
    person = client()
    with django_capture_on_commit_callbacks(execute=True):
        erase_subjects(subject_ids=[person.pk], actor=dpo, reason="GDPR Art. 17")
    assert DataSubject.objects.get(pk=person.pk).anonymised_at is not None
    assert "was not copied" in caplog.text and "hourly export retries" in caplog.text


def test_the_dpo_and_the_admin_see_an_alarm_until_the_export_has_caught_up(
    seeded: None,
    dpo: User,
    admin_user: User,
    staff: User,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: Any,
    erasure_ledger_dir: Path,
) -> None:
    alarm = "The erasure ledger could not be copied outside the database"
    erasure_ledger_dir.parent.mkdir(parents=True, exist_ok=True)
    erasure_ledger_dir.write_text("a file where the folder should be")
    with django_capture_on_commit_callbacks(execute=True):
        erase_subjects(subject_ids=[client().pk], actor=dpo, reason="GDPR Art. 17")
    for user, sees in [(dpo, True), (admin_user, True), (staff, False)]:
        assert (alarm in client_for(user).get("/").content.decode()) is sees, user
    later = dt.datetime.now(TALLINN) + dt.timedelta(minutes=5)
    with pytest.raises(OSError):
        export_missing(now=later)
    assert alarm in client_for(dpo).get("/").content.decode()
    erasure_ledger_dir.unlink()  # the operator mounts the folder again
    assert export_missing(now=later) == 1
    assert alarm not in client_for(dpo).get("/").content.decode()


def test_the_export_appends_entries_the_copy_lacks_once(
    seeded: None, dpo: User, erasure_ledger_dir: Path
) -> None:
    erased_at = dt.datetime(2025, 6, 1, 23, 30, tzinfo=TALLINN)
    with transaction.atomic():  # its on-commit copy never runs: a process killed at commit
        erase_subjects(subject_ids=[client().pk], actor=dpo, reason="GDPR Art. 17", now=erased_at)
    entry = ErasureEntry.objects.get()
    assert export_missing(now=erased_at + dt.timedelta(seconds=10)) == 0  # still settling
    later = erased_at + dt.timedelta(hours=1)
    assert export_missing(now=later) == 1
    assert export_missing(now=later) == 0
    (copied,) = read_copy(erasure_ledger_dir, since=dt.date(2025, 6, 1)).entries
    assert copied.uuid == entry.uuid
    # Filed under the legal day of the erasure, not of the export.
    assert copy_path(dt.date(2025, 6, 1)).exists()


def test_a_torn_last_line_is_skipped_and_a_broken_line_before_it_refused(
    seeded: None, erasure_ledger_dir: Path
) -> None:
    expired_prospect()
    purge(PURGE_DAY)
    entry = ErasureEntry.objects.get()
    append_to_copy([entry])
    path = copy_path(dt.date(2025, 6, 1))
    intact = path.read_text()
    path.write_text(intact + '{"uuid": "cut sho')
    read = read_copy(erasure_ledger_dir, since=dt.date(2025, 6, 1))
    assert [e.uuid for e in read.entries] == [entry.uuid]
    assert read.torn == [f"{path}:2"]
    path.write_text('{"uuid": "not an entry"}\n' + intact)
    with pytest.raises(LedgerCopyError, match=":1:"):
        read_copy(erasure_ledger_dir, since=dt.date(2025, 6, 1))


def test_the_copy_is_read_from_the_day_asked_for(seeded: None, erasure_ledger_dir: Path) -> None:
    def entry_on(day: dt.date) -> ErasureEntry:
        return ErasureEntry(
            recorded_at=dt.datetime.combine(day, dt.time(0, 30), tzinfo=TALLINN),
            source="erasure",
            record_type="subjects.erasure_requested",
            action="anonymise",
            reason="GDPR Art. 17",
            object_ids=",1,",
        )

    days = [dt.date(2025, 5, 31), dt.date(2025, 6, 1), dt.date(2025, 6, 2)]
    append_to_copy([entry_on(day) for day in days])
    read = read_copy(erasure_ledger_dir, since=dt.date(2025, 6, 1))
    assert [e.recorded_at.astimezone(TALLINN).date() for e in read.entries] == days[1:]


def test_the_hourly_export_is_a_beat_task_that_fills_the_copy(
    seeded: None, dpo: User, erasure_ledger_dir: Path
) -> None:
    from django_celery_beat.models import PeriodicTask

    from privacyops.beat import SCHEDULE
    from retention.tasks import export_erasure_ledger

    entry = SCHEDULE["hourly-erasure-ledger-export"]
    assert entry["task"] == export_erasure_ledger.name
    assert PeriodicTask.objects.get(name="hourly-erasure-ledger-export").crontab.hour == "*"
    an_hour_ago = dt.datetime.now(TALLINN) - dt.timedelta(hours=1)
    with transaction.atomic():
        erase_subjects(subject_ids=[client().pk], actor=dpo, reason="GDPR Art. 17", now=an_hour_ago)
    assert export_erasure_ledger.delay().get() == 1
    assert len(read_copy(erasure_ledger_dir, since=an_hour_ago.date()).entries) == 1
