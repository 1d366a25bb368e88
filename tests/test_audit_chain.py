"""The audit log is a hash chain: `verify_audit` finds an edited, a deleted and an inserted
row, and a log cut short; the DPO sees the break as an alarm."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from core.appendonly import AppendOnlyError
from core.audit import record_event, record_events_bulk
from core.chain import GENESIS_HASH, EventContent, content_hash, link_hash, verify_chain
from core.models import AuditEvent, AuditVerification
from core.services.audit_chain import verify_audit_log

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC)


@contextmanager
def owner_tampering() -> Iterator[Any]:
    """Raw SQL past the ORM's refusals; on PostgreSQL as the tables' owner, who alone may
    lift the append-only trigger (the test's transaction puts it back)."""
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            # ALTER TABLE waits for no deferred foreign-key check of the rows just written.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
        yield cursor
        if postgres:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def five_events() -> list[AuditEvent]:
    return [
        record_event(action="subject.viewed", actor="test", target_id=n, details={"n": n})
        for n in range(1, 6)
    ]


def test_each_event_carries_the_hash_of_the_one_before(dpo: Any) -> None:
    first = record_event(action="subject.created", actor=dpo, details={"kind": "user"})
    second = record_event(action="subject.viewed", actor="nightly-purge", ip_address="::1")
    assert (first.sequence, first.prev_hash) == (1, GENESIS_HASH)
    assert (second.sequence, second.prev_hash) == (2, first.hash)
    stored = AuditEvent.objects.get(pk=second.pk)
    content = EventContent(
        stored.occurred_at,
        stored.actor_id,
        stored.actor_label,
        stored.action,
        stored.target_type,
        stored.target_id,
        stored.details,
        stored.ip_address,
    )
    assert stored.hash == link_hash(2, content_hash(content), first.hash)
    assert verify_chain().intact


def test_a_bulk_of_events_is_chained_in_order_in_one_statement(dpo: Any) -> None:
    record_event(action="before", actor=dpo)
    with CaptureQueriesContext(connection) as queries:
        assert (
            record_events_bulk(
                action="subject.listed",
                actor=dpo,
                target_type="subjects.datasubject",
                target_ids=list(range(50)),
                details={"page": 1, "ratio": 2.0, "when": NOW},
            )
            == 50
        )
    assert len(queries) == 1
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, 52))
    listed = AuditEvent.objects.filter(action="subject.listed").order_by("sequence")
    assert [e.target_id for e in listed] == [str(n) for n in range(50)]
    report = verify_chain()
    assert report.intact and report.checked == 51 and report.head_sequence == 51


def test_recording_one_event_is_one_statement(dpo: Any) -> None:
    with CaptureQueriesContext(connection) as queries:
        record_event(action="subject.viewed", actor=dpo, target_id=1)
    assert len(queries) == 1


def test_audit_events_are_written_only_through_the_chain() -> None:
    with pytest.raises(AppendOnlyError, match="record_event"):
        AuditEvent.objects.create(action="forged", sequence=1, prev_hash="x", hash="y")
    with pytest.raises(AppendOnlyError, match="record_event"):
        AuditEvent.objects.bulk_create([AuditEvent(action="forged")])
    assert not AuditEvent.objects.exists()


def test_verify_audit_finds_an_edited_row() -> None:
    events = five_events()
    with owner_tampering() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET details = %s WHERE id = %s", ['{"n": 99}', events[2].pk]
        )
    report = verify_chain()
    assert report.broken is not None
    assert report.broken.sequence == 3
    assert "does not match its hash: the row was edited" in report.broken.problem
    assert report.checked == 2


def test_verify_audit_finds_a_deleted_row() -> None:
    events = five_events()
    with owner_tampering() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    report = verify_chain()
    assert report.broken is not None
    assert report.broken.sequence == 2
    assert "event #2 is missing (the next is #3)" in report.broken.problem


def test_verify_audit_finds_a_row_inserted_with_a_valid_looking_hash() -> None:
    """The forger knows the algorithm: the forged row itself links to its predecessor, but
    the original event that now follows it still points at that predecessor."""
    events = five_events()
    forged = EventContent(NOW, None, "test", "subject.viewed", "", "42", {}, None)
    forged_hash = link_hash(3, content_hash(forged), events[1].hash)
    with owner_tampering() as cursor:
        # Make room at #3 (two steps: the sequence is unique at every row).
        cursor.execute("UPDATE core_auditevent SET sequence = sequence + 1000 WHERE sequence >= 3")
        cursor.execute("UPDATE core_auditevent SET sequence = sequence - 999 WHERE sequence > 1000")
        cursor.execute(
            "INSERT INTO core_auditevent (sequence, prev_hash, hash, occurred_at, actor_label, "
            "action, target_type, target_id, details) VALUES (3, %s, %s, %s, 'test', "
            "'subject.viewed', '', '42', '{}')",
            [events[1].hash, forged_hash, NOW],
        )
    report = verify_chain()
    assert report.broken is not None
    assert report.broken.sequence == 4
    assert "event #4 does not link to event #3" in report.broken.problem


def test_verify_audit_finds_a_row_numbered_before_the_first_event() -> None:
    """The walk meets it first; the check is stored (it counted no event), not refused."""
    five_events()
    forged = EventContent(NOW, None, "test", "subject.viewed", "", "42", {}, None)
    with owner_tampering() as cursor:
        cursor.execute(
            "INSERT INTO core_auditevent (sequence, prev_hash, hash, occurred_at, actor_label, "
            "action, target_type, target_id, details) VALUES (0, %s, %s, %s, 'test', "
            "'subject.viewed', '', '42', '{}')",
            [GENESIS_HASH, link_hash(0, content_hash(forged), GENESIS_HASH), NOW],
        )
    result = verify_audit_log()
    assert not result.intact
    assert (result.events_checked, result.head_sequence, result.broken_at) == (0, 0, 0)
    assert "event #0" in result.problem and "numbered before the first event" in result.problem


def test_verify_audit_finds_a_log_cut_short_since_the_last_check() -> None:
    events = five_events()
    assert verify_audit_log().intact  # records the head it reached (#5), then event #6
    with owner_tampering() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE sequence >= 5")
    result = verify_audit_log()
    assert not result.intact
    assert result.broken_at == 5
    assert "the last check reached #5: the newest events were removed" in result.problem
    assert events


def test_a_check_of_an_empty_log_does_not_break_the_next_check() -> None:
    """A new portal's first daily check may find no event yet: its head is #0, which no
    later walk meets as an event, and that is no sign of a log cut short."""
    assert verify_audit_log().head_sequence == 0
    record_event(action="subject.viewed", actor="test", target_id=1)
    assert verify_audit_log().intact


def test_the_command_prints_the_first_broken_link_and_exits_non_zero(capsys: Any) -> None:
    events = five_events()
    call_command("verify_audit")
    assert "Audit log intact: 5 events" in capsys.readouterr().out
    with owner_tampering() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET action = 'tampered' WHERE id = %s", [events[3].pk]
        )
    with pytest.raises(CommandError, match=r"broken at event #4: event #4 does not match its hash"):
        call_command("verify_audit")
    latest = AuditVerification.objects.first()
    assert latest is not None and not latest.intact and latest.broken_at == 4
    event = AuditEvent.objects.filter(action="audit.chain_broken").get()
    assert event.actor_display == "manage.py verify_audit"
    assert event.details["broken_at"] == 4


def test_the_daily_check_is_in_the_beat_schedule_and_audits_its_result() -> None:
    from django_celery_beat.models import PeriodicTask

    from core.tasks import verify_audit

    entry = PeriodicTask.objects.get(name="daily-audit-verification")
    assert entry.task == "core.tasks.verify_audit"
    assert (entry.crontab.hour, entry.crontab.minute) == ("5", "0")
    with time_machine.travel(NOW, tick=False):
        assert verify_audit.delay().get() is True
    verification = AuditVerification.objects.get()
    assert verification.intact and verification.actor_label == "verify-audit"
    assert verification.checked_at == NOW
    assert AuditEvent.objects.filter(action="audit.verified", actor_label="verify-audit").exists()


def test_the_dpo_sees_a_red_alarm_after_a_check_found_a_break(
    client_for: Any, dpo: Any, staff: Any
) -> None:
    events = five_events()
    verify_audit_log()
    page = client_for(dpo).get("/").content.decode()
    assert "hash chain is broken" not in page
    with owner_tampering() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[0].pk])
    verify_audit_log()
    page = client_for(dpo).get("/").content.decode()
    assert 'class="alarm" role="alert">The audit log has been tampered with' in page
    assert "hash chain is broken" not in client_for(staff).get("/").content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_cannot_fork_the_chain() -> None:
    """Eight threads, each with its own connection, write at once; the lock taken by each
    INSERT serialises them, so every sequence number is used once and every link holds."""
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(10):
                with transaction.atomic():
                    record_event(action="concurrent", actor=f"writer-{n}", target_id=i)
                    if i % 3 == 0:
                        record_events_bulk(
                            action="concurrent.bulk",
                            actor=f"writer-{n}",
                            target_type="x",
                            target_ids=[1, 2, 3],
                            details={},
                        )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditEvent.objects.count() == 8 * (10 + 4 * 3)
    report = verify_chain()
    assert report.intact and report.checked == 8 * (10 + 4 * 3)


@pytest.mark.postgres
def test_postgresql_refuses_truncate_of_the_append_only_tables() -> None:
    for table in ("core_auditevent", "consent_consentevent", "consent_suppressionentry"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"TRUNCATE {table} CASCADE")
