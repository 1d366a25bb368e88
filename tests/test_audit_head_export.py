"""Each day's head of the audit chain is appended to a file outside the database, and
`verify_audit --against FILE` requires every head in it to be still in the log: a cut tail or
a history rewritten with a recomputed chain, which pass the plain check once the
verification rows are cut too, are named; events after the last export are reported as not
covered, which is all the chain can say of them."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from core.audit import record_event
from core.audit_heads import read_heads
from core.chain import EventContent, content_hash, link_hash, verify_chain
from core.models import AuditEvent, AuditVerification
from core.services.audit_chain import HeadNotExported, export_audit_head
from core.tasks import export_audit_head_task
from tests.test_audit_chain import five_events, owner_tampering
from tests.test_settings import production_env, run_django

pytestmark = pytest.mark.django_db

# 05:30 in Tallinn, when beat exports.
MORNING = dt.datetime(2026, 11, 20, 3, 30, tzinfo=dt.UTC)
CONTENT_FIELDS = (
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "details",
    "ip_address",
)


@pytest.fixture
def heads_file(tmp_path: Path) -> Path:
    return tmp_path / "heads" / "audit-heads.jsonl"


def verify_against(path: Path) -> str:
    out = StringIO()
    call_command("verify_audit", "--against", str(path), stdout=out)
    return out.getvalue()


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def cut_the_verifications(cursor: Any) -> None:
    """What an intruder who cuts the log cuts too: the heads earlier checks reached."""
    cursor.execute("DELETE FROM core_auditverification")


def rechain_from(cursor: Any, sequence: int) -> None:
    """Recompute every link from `sequence` on, as someone who knows the algorithm would."""
    rows = AuditEvent.objects.filter(sequence__gte=sequence).order_by("sequence")
    prev_hash = AuditEvent.objects.get(sequence=sequence - 1).hash
    for event_id, number, *content in rows.values_list("id", "sequence", *CONTENT_FIELDS):
        new_hash = link_hash(number, content_hash(EventContent(*content)), prev_hash)
        cursor.execute(
            "UPDATE core_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
            [prev_hash, new_hash, event_id],
        )
        prev_hash = new_hash


def test_the_export_appends_the_head_the_walk_reached_as_one_json_line(heads_file: Path) -> None:
    events = five_events()
    with time_machine.travel(MORNING, tick=False):
        head = export_audit_head(destination=heads_file, now=MORNING)
    assert lines_of(heads_file) == [
        {
            "day": "2026-11-20",
            "exported_at": "2026-11-20T03:30:00+00:00",
            "event_id": events[-1].pk,
            "sequence": 5,
            "hash": events[-1].hash,
            "events": 5,
        }
    ]
    assert (head.sequence, head.hash) == (5, events[-1].hash)
    # The export's walk is stored and audited as any check (after the head it exported).
    verification = AuditVerification.objects.get()
    assert verification.intact and verification.actor_label == "export-audit-head"
    assert AuditEvent.objects.get(sequence=6).action == "audit.verified"


def test_the_daily_job_appends_a_line_and_never_rewrites_the_file(
    seeded: None, heads_file: Path, clock: time_machine.Traveller, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_celery_beat.models import PeriodicTask

    entry = PeriodicTask.objects.get(name="daily-audit-head-export")
    assert entry.task == "core.tasks.export_audit_head"
    assert (entry.crontab.hour, entry.crontab.minute) == ("5", "30")
    opened: list[int] = []
    real_open = os.open

    def note_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path) == heads_file:
            opened.append(flags)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", note_open)
    clock.move_to(MORNING)
    five_events()
    with override_settings(AUDIT_HEAD_EXPORT=heads_file):
        assert export_audit_head_task.delay().get() is True
        first = heads_file.read_bytes()
        record_event(action="subject.viewed", actor="test", target_id=6)
        clock.shift(dt.timedelta(days=1))
        assert export_audit_head_task.delay().get() is True
    assert heads_file.read_bytes().startswith(first)
    assert [line["day"] for line in lines_of(heads_file)] == ["2026-11-20", "2026-11-21"]
    assert [line["sequence"] for line in lines_of(heads_file)] == [5, 7]
    assert len(opened) == 2
    assert all(flags & os.O_APPEND and not flags & os.O_TRUNC for flags in opened)


def test_a_forged_event_after_the_last_export_verifies_but_is_named_as_not_covered(
    heads_file: Path,
) -> None:
    """Whoever holds the application's credentials may INSERT, so an event written with them
    links correctly: nothing can tell it from a real one until a head after it is exported."""
    five_events()
    export_audit_head(destination=heads_file, now=MORNING)  # head #5, its check is #6
    record_event(action="subject.erased", actor="forger", target_id=42)  # #7
    out = verify_against(heads_file)
    assert "Audit log intact: 7 events" in out
    assert "All 1 exported heads are in the log unchanged; events #1 to #5 are covered" in out
    assert "The newest 2 events (#6 to #7) are not yet covered by an export" in out


def test_a_tail_cut_below_an_exported_head_is_named(
    heads_file: Path, clock: time_machine.Traveller
) -> None:
    clock.move_to(MORNING)
    five_events()
    export_audit_head(destination=heads_file, now=MORNING)
    record_event(action="subject.viewed", actor="test", target_id=7)
    clock.shift(dt.timedelta(days=1))
    export_audit_head(destination=heads_file, now=MORNING + dt.timedelta(days=1))
    with owner_tampering() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE sequence >= 4")
        cut_the_verifications(cursor)
    with pytest.raises(CommandError) as failure:
        verify_against(heads_file)
    assert str(failure.value) == (
        "Audit log broken at event #4: the log ends at #3, but the head exported on "
        "2026-11-20 is #5 (and 1 later heads): the newest events were removed (3 events "
        "before it are intact)."
    )
    latest = AuditVerification.objects.first()
    assert latest is not None and not latest.intact and latest.broken_at == 4
    # The chain that is left is consistent with itself: without the file the check passes.
    with owner_tampering() as cursor:
        cut_the_verifications(cursor)
    call_command("verify_audit", stdout=StringIO())


def test_a_history_rewritten_with_a_recomputed_chain_is_named(heads_file: Path) -> None:
    events = five_events()
    export_audit_head(destination=heads_file, now=MORNING)
    forged = EventContent(MORNING, None, "test", "consent.given", "", "42", {}, None)
    with owner_tampering() as cursor:
        # An event slipped in at #3 (two steps: the sequence is unique at every row) …
        cursor.execute("UPDATE core_auditevent SET sequence = sequence + 1000 WHERE sequence >= 3")
        cursor.execute("UPDATE core_auditevent SET sequence = sequence - 999 WHERE sequence > 1000")
        cursor.execute(
            "INSERT INTO core_auditevent (sequence, prev_hash, hash, occurred_at, actor_label, "
            "action, target_type, target_id, details) VALUES (3, %s, %s, %s, 'test', "
            "'consent.given', '', '42', '{}')",
            [events[1].hash, link_hash(3, content_hash(forged), events[1].hash), MORNING],
        )
        # … and every link after it recomputed, the checks' heads cut.
        rechain_from(cursor, 4)
        cut_the_verifications(cursor)
    assert verify_chain().intact
    call_command("verify_audit", stdout=StringIO())
    with pytest.raises(CommandError, match=r"broken at event #5: event #5 is not the head ") as e:
        verify_against(heads_file)
    assert "exported on 2026-11-20: its hash differs, so the log up to it was rewritten" in str(
        e.value
    )


def test_a_head_whose_row_was_written_again_is_named(heads_file: Path) -> None:
    """The same content and hash at the same place, but not the row the export saw."""
    events = five_events()
    export_audit_head(destination=heads_file, now=MORNING)
    with owner_tampering() as cursor:
        cursor.execute(
            "INSERT INTO core_auditevent (sequence, prev_hash, hash, occurred_at, actor_label, "
            "action, target_type, target_id, details) SELECT 1000, prev_hash, hash, "
            "occurred_at, actor_label, action, target_type, target_id, details "
            "FROM core_auditevent WHERE id = %s",
            [events[-1].pk],
        )
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[-1].pk])
        cursor.execute("UPDATE core_auditevent SET sequence = 5 WHERE sequence = 1000")
    report = verify_chain(exported=read_heads(heads_file).heads)
    assert report.broken is not None and report.broken.sequence == 5
    assert f"had id {events[-1].pk}: the row was removed and written again" in (
        report.broken.problem
    )


def test_a_missing_or_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    five_events()
    cases = {
        tmp_path / "nowhere.jsonl": f"no file of exported audit heads at {tmp_path}/nowhere",
        tmp_path: f"{tmp_path} is a folder, not a file of exported audit heads",
    }
    (tmp_path / "latin1.jsonl").write_bytes(b"\xe9t\xe9\n")
    cases[tmp_path / "latin1.jsonl"] = "cannot read"
    (tmp_path / "foreign.jsonl").write_text('{"day": "2026-11-20"}\n')
    cases[tmp_path / "foreign.jsonl"] = "foreign.jsonl:1: not an exported head ('exported_at')"
    for path, message in cases.items():
        with pytest.raises(CommandError, match="Cannot verify against the exported heads") as e:
            verify_against(path)
        assert message in str(e.value), path
    assert not AuditVerification.objects.exists()  # no walk was stored as if it had compared


def test_a_line_torn_by_a_crash_is_skipped_and_the_next_export_starts_afresh(
    heads_file: Path,
) -> None:
    five_events()
    export_audit_head(destination=heads_file, now=MORNING)
    with heads_file.open("a") as file:
        file.write('{"day":"2026-11-21","exported_at":"2026-11-')  # the machine stopped here
    export_audit_head(destination=heads_file, now=MORNING + dt.timedelta(days=1))
    read = read_heads(heads_file)
    assert [head.sequence for head in read.heads] == [5, 6]
    assert read.torn == [f"{heads_file}:2"]
    err = StringIO()
    call_command("verify_audit", "--against", str(heads_file), stdout=StringIO(), stderr=err)
    assert f"Skipped {heads_file}:2: a line cut short, not a head." in err.getvalue()


def test_the_export_refuses_to_anchor_a_log_that_no_longer_matches_the_file(
    heads_file: Path, dpo: Any, client_for: Any
) -> None:
    five_events()
    export_audit_head(destination=heads_file, now=MORNING)
    exported = heads_file.read_bytes()
    with owner_tampering() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE sequence >= 5")
        cut_the_verifications(cursor)
    with pytest.raises(HeadNotExported, match="broken at event #5: the log ends at #4"):
        export_audit_head(destination=heads_file, now=MORNING + dt.timedelta(days=1))
    assert heads_file.read_bytes() == exported
    page = client_for(dpo).get("/").content.decode()
    assert "The audit log has been tampered with" in page


def test_without_a_destination_the_job_says_so_and_the_command_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    five_events()
    with override_settings(AUDIT_HEAD_EXPORT=None), caplog.at_level(logging.WARNING):
        assert export_audit_head_task.delay().get() is False
        with pytest.raises(CommandError, match="AUDIT_HEAD_EXPORT is not set"):
            call_command("export_audit_head", stdout=StringIO())
    assert "AUDIT_HEAD_EXPORT is not set: the audit chain's head was exported nowhere" in (
        caplog.text
    )
    assert not AuditVerification.objects.exists()


def test_the_command_exports_to_the_configured_file(heads_file: Path) -> None:
    five_events()
    out = StringIO()
    with override_settings(AUDIT_HEAD_EXPORT=heads_file):
        call_command("export_audit_head", stdout=out)
    assert "Exported the head of 2026-11-20 to" in out.getvalue()
    assert "event #5" in out.getvalue()
    assert AuditVerification.objects.get().actor_label == "manage.py export_audit_head"


def test_check_deploy_warns_when_no_head_is_exported() -> None:
    env = production_env()
    env.pop("AUDIT_HEAD_EXPORT")
    result = run_django(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "privacyops.W002" in result.stdout + result.stderr


@pytest.mark.postgres
def test_the_application_role_writes_a_well_formed_event_and_exports_under_its_grants(
    heads_file: Path,
) -> None:
    """The probe's finding, on the production role: an INSERT the role may do, its link
    computed by hand, verifies; the export works under the same grants and cannot be told
    from an honest one, which is why what it covers is stated, not more."""
    from tests.test_app_role_pages import application_role

    five_events()
    export_audit_head(destination=heads_file, now=MORNING)
    with application_role(), connection.cursor() as cursor:
        cursor.execute("SELECT sequence, hash FROM core_auditevent ORDER BY sequence DESC LIMIT 1")
        sequence, prev_hash = cursor.fetchone()
        forged = EventContent(MORNING, None, "dpo", "consent.given", "", "42", {}, None)
        cursor.execute(
            "INSERT INTO core_auditevent (sequence, prev_hash, hash, occurred_at, actor_label, "
            "action, target_type, target_id, details) VALUES (%s, %s, %s, %s, 'dpo', "
            "'consent.given', '', '42', '{}')",
            [
                sequence + 1,
                prev_hash,
                link_hash(sequence + 1, content_hash(forged), prev_hash),
                MORNING,
            ],
        )
        out = verify_against(heads_file)
        assert "The newest 2 events (#6 to #7) are not yet covered by an export" in out
        export_audit_head(destination=heads_file, now=MORNING + dt.timedelta(days=1))
    assert [line["sequence"] for line in lines_of(heads_file)] == [5, 8]
