"""On PostgreSQL the audit log and the consent ledger are partitioned by the month their rows
were written (`core.partitions`): rows land in their month or the DEFAULT partition, every
partition refuses UPDATE, DELETE and TRUNCATE, the months ahead are made idempotently, and
the migration converts a table that already holds rows without losing or changing one.
On SQLite both stay plain tables and the beat job has nothing to do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from consent.models import ConsentEvent, ConsentEvidence
from core.audit import record_event
from core.chain import verify_chain
from core.models import AuditEvent
from core.partitions import (
    MONTHS_AHEAD,
    PARTITIONED,
    convert_to_partitions,
    default_partition,
    is_partitioned,
    link_without_constraint,
    make_partitions,
    partitions_of,
)
from core.tasks import make_partitions_ahead_task
from tests import factories as f

pytestmark = pytest.mark.django_db

NOVEMBER = dt.date(2026, 11, 1)  # the suite's clock is 2026-11-20
LATER = dt.datetime(2031, 5, 2, 12, 0, tzinfo=dt.UTC)  # a month no partition covers


def partition_holding(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def settle_foreign_keys() -> None:
    """Check the test's deferred foreign keys now: PostgreSQL refuses TRUNCATE and ALTER of a
    table with checks pending."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def refused(sql: str) -> str:
    settle_foreign_keys()
    with (
        pytest.raises(DatabaseError) as refusal,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    return str(refusal.value)


def outcomes_of(table: str, first_month: dt.date, months: int = 1) -> list[str]:
    made = make_partitions(first_month=first_month, months=months)
    return [month.outcome for month in made if month.parent == table]


def test_the_beat_job_has_nothing_to_do_on_sqlite_and_succeeds_on_postgresql() -> None:
    """It runs daily from beat (`privacyops.beat`); on PostgreSQL the test database's months
    are made or already there, so nothing is reported missing."""
    from privacyops.beat import SCHEDULE

    assert any(e["task"] == "core.tasks.make_partitions_ahead" for e in SCHEDULE.values())
    assert make_partitions_ahead_task.delay().get() is True
    assert is_partitioned_everywhere() is (connection.vendor == "postgresql")


def is_partitioned_everywhere() -> bool:
    if connection.vendor != "postgresql":
        return False
    return all(is_partitioned(table) for table in PARTITIONED)


@pytest.mark.postgres
def test_each_log_is_partitioned_by_the_month_its_rows_were_written() -> None:
    for table, key in PARTITIONED.items():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.attname FROM pg_partitioned_table p JOIN pg_attribute a "
                "ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] "
                "WHERE p.partrelid = to_regclass(%s) AND p.partstrat = 'r'",
                [table],
            )
            assert cursor.fetchone()[0] == key
        partitions = partitions_of(table)
        assert default_partition(table) in partitions
        # The migration made its month and the months ahead.
        assert len(partitions) >= 1 + MONTHS_AHEAD + 1, partitions


@pytest.mark.postgres
def test_a_month_made_ahead_takes_its_rows_and_making_it_again_changes_nothing(
    seeded: None,
) -> None:
    assert set(outcomes_of("core_auditevent", NOVEMBER, 2)) <= {"made", "exists"}
    event = record_event(action="subject.viewed", actor="test", target_id=1)
    assert partition_holding("core_auditevent", event.pk) == "core_auditevent_p202611"
    # The ledger goes by when a row was recorded, not when the person acted.
    consent = f.ConsentEventFactory.create(
        occurred_at=dt.datetime(2019, 5, 1, tzinfo=dt.UTC), recorded_at=timezone.now()
    )
    assert partition_holding("consent_consentevent", consent.pk) == ("consent_consentevent_p202611")
    again = make_partitions(first_month=NOVEMBER, months=2)
    assert len(again) == 4
    assert {month.outcome for month in again} == {"exists"}
    assert verify_chain().intact


@pytest.mark.postgres
def test_a_row_of_a_month_without_partition_lands_in_the_default_and_the_month_is_reported(
    seeded: None, caplog: pytest.LogCaptureFixture
) -> None:
    with time_machine.travel(LATER, tick=False):
        event = record_event(action="subject.viewed", actor="test", target_id=1)
        consent = f.ConsentEventFactory.create()
        assert make_partitions_ahead_task.delay().get() is False
    assert partition_holding("core_auditevent", event.pk) == "core_auditevent_default"
    assert partition_holding("consent_consentevent", consent.pk) == "consent_consentevent_default"
    assert outcomes_of("core_auditevent", LATER.date().replace(day=1)) == ["rows in default"]
    assert "core_auditevent_p203105 of core_auditevent not made (rows in default)" in caplog.text
    # Still read, still in the chain.
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert verify_chain().intact


@pytest.mark.postgres
def test_no_caller_may_ask_for_more_months_than_the_function_allows() -> None:
    assert "make 0 to 36 months" in refused(
        "SELECT * FROM privacyops_make_partitions('2026-11-01', 37)"
    )


@pytest.mark.postgres
def test_every_partition_refuses_update_delete_and_truncate(seeded: None) -> None:
    outcomes_of("core_auditevent", NOVEMBER)
    record_event(action="subject.viewed", actor="test", target_id=1)
    f.ConsentEventFactory.create()
    with time_machine.travel(LATER, tick=False):
        record_event(action="subject.viewed", actor="test", target_id=2)
        f.ConsentEventFactory.create()
    for table in PARTITIONED:
        month, default = f"{table}_p202611", default_partition(table)
        for relation in (table, month, default):
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM {relation}")
                assert cursor.fetchone()[0] >= 1, relation  # a row for the row trigger
            assert "append-only" in refused(f"UPDATE {relation} SET id = id"), relation
            assert "append-only" in refused(f"DELETE FROM {relation}"), relation
            assert "append-only" in refused(f"TRUNCATE {relation}"), relation


@pytest.mark.postgres
def test_every_partition_carries_the_append_only_triggers() -> None:
    for table in PARTITIONED:
        for partition in partitions_of(table):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s)", [partition]
                )
                names = {row[0] for row in cursor.fetchall()}
            assert {f"{table}_append_only", f"{partition}_no_truncate"} <= names, partition


@pytest.mark.postgres
def test_evidence_and_reviews_must_name_an_event_of_the_ledger(seeded: None) -> None:
    event = f.ConsentEventFactory.create()
    ConsentEvidence.objects.create(event=event, text="A letter.", file_name="")
    for table in ("consent_consentevidence", "consent_objectionreview"):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_constraint WHERE conrelid = to_regclass(%s) "
                "AND confrelid = to_regclass('consent_consentevent')",
                [table],
            )
            assert cursor.fetchone()[0] == 0  # no constraint: a trigger holds the link
    with pytest.raises(IntegrityError, match="is not present in table"), transaction.atomic():
        ConsentEvidence.objects.create(event_id=event.pk + 1000, text="Forged.", file_name="")


# --- converting a table that holds rows -----------------------------------------------------


@pytest.fixture
def schema_before_partitions() -> Iterator[None]:
    """A schema of its own, first on the search path, where the log is made as the earlier
    migrations made it: a plain table with its indexes and triggers. The ORM and the chain's
    SQL name tables unqualified, so they read and write it there; the test's rollback drops
    it all."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA before_partitions")
        cursor.execute("SET LOCAL search_path = before_partitions, public")
    yield


def append_only_as_before(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION privacyops_refuse_change()"
        )
        cursor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION privacyops_refuse_change()"
        )


def snapshot(table: str, columns: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} ORDER BY id")
        return list(cursor.fetchall())


@pytest.mark.postgres
def test_the_migration_converts_an_audit_log_with_rows_keeping_its_chain(
    dpo: Any, schema_before_partitions: None
) -> None:
    with connection.schema_editor() as editor:
        editor.create_model(AuditEvent)
    append_only_as_before("core_auditevent")
    assert not is_partitioned("core_auditevent")
    for moment in ("2025-01-15T10:00", "2025-03-31T23:59:59.999999", "2026-11-20T08:00"):
        with time_machine.travel(dt.datetime.fromisoformat(moment).replace(tzinfo=dt.UTC)):
            record_event(action="subject.viewed", actor=dpo, target_id=1, details={"r": 2.0})
            record_event(action="subject.listed", actor="test", details={"ids": [1, 2]})
    before = snapshot("core_auditevent", "*")
    settle_foreign_keys()
    with connection.schema_editor() as editor:
        convert_to_partitions(editor, "core_auditevent", now=timezone.now())

    assert is_partitioned("core_auditevent")
    months = [f"core_auditevent_p{y}{m:02d}" for y, m in [(2025, 1), (2025, 2), (2025, 3)]]
    partitions = partitions_of("core_auditevent")
    assert partitions[:4] == ["core_auditevent_default", *months]
    assert partitions[-1] == "core_auditevent_p202702"  # November 2026 and three ahead
    assert len(partitions) == 1 + 26
    assert snapshot("core_auditevent", "*") == before
    assert partition_holding("core_auditevent", before[2][0]) == "core_auditevent_p202503"
    report = verify_chain()
    assert report.intact and report.checked == 6
    after = record_event(action="subject.viewed", actor=dpo, target_id=2)
    assert (after.sequence, after.prev_hash) == (7, before[-1][3])
    assert after.pk > max(row[0] for row in before)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = to_regclass('core_auditevent')"
        )
        constraints = {name: (kind, definition) for name, kind, definition in cursor.fetchall()}
    assert sorted(kind for kind, _ in constraints.values()) == ["c", "f"]  # the actor's key
    assert "CHECK ((sequence >= 0))" in {definition for _, definition in constraints.values()}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'core_auditevent' "
            "AND schemaname = 'before_partitions'"
        )
        indexes = dict(cursor.fetchall())
    assert "UNIQUE INDEX" in indexes["core_auditevent_pkey"]
    assert indexes["core_auditevent_pkey"].endswith("(id, occurred_at)")
    assert indexes["core_auditevent_sequence_key"].endswith("(sequence, occurred_at)")
    assert "UNIQUE INDEX" in indexes["core_auditevent_sequence_key"]
    assert "core_audit_target_idx" in indexes
    for relation in ("core_auditevent", "core_auditevent_p202501"):
        assert "append-only" in refused(f"UPDATE {relation} SET action = 'x'")
        assert "append-only" in refused(f"DELETE FROM {relation}")
        assert "append-only" in refused(f"TRUNCATE {relation}")


@pytest.mark.postgres
def test_the_migration_converts_a_ledger_with_rows_and_evidence_pointing_into_it(
    seeded: None, schema_before_partitions: None
) -> None:
    with connection.schema_editor() as editor:
        editor.create_model(ConsentEvent)
        editor.create_model(ConsentEvidence)
    append_only_as_before("consent_consentevent")
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE consent_consentevidence ADD CONSTRAINT evidence_event_fk "
            "FOREIGN KEY (event_id) REFERENCES consent_consentevent (id)"
        )
    events = []
    for recorded in ("2024-12-31T23:59", "2025-02-01T00:00", "2026-11-20T08:00"):
        moment = dt.datetime.fromisoformat(recorded).replace(tzinfo=dt.UTC)
        events.append(
            f.ConsentEventFactory.create(
                occurred_at=moment - dt.timedelta(days=400), recorded_at=moment
            )
        )
    ConsentEvidence.objects.create(event=events[0], text="A letter.", file_name="")
    before = snapshot("consent_consentevent", "*")
    settle_foreign_keys()
    with connection.schema_editor() as editor:
        link_without_constraint(
            editor, "consent_consentevidence", "event_id", "consent_consentevent"
        )
        convert_to_partitions(editor, "consent_consentevent", now=timezone.now())

    assert snapshot("consent_consentevent", "*") == before
    assert [partition_holding("consent_consentevent", e.pk) for e in events] == [
        "consent_consentevent_p202412",
        "consent_consentevent_p202502",
        "consent_consentevent_p202611",
    ]
    assert ConsentEvidence.objects.get().event == events[0]
    assert list(ConsentEvent.objects.order_by("id")) == events
    with pytest.raises(IntegrityError, match="is not present in table"), transaction.atomic():
        ConsentEvidence.objects.create(event_id=events[-1].pk + 99, text="x", file_name="")
    later = f.ConsentEventFactory.create()
    assert later.pk > events[-1].pk
    assert "append-only" in refused("TRUNCATE consent_consentevent_p202412")
    assert "append-only" in refused("DELETE FROM consent_consentevent")


@pytest.mark.postgres
def test_the_grouped_reads_that_listed_a_record_have_an_index_of_the_filter_s_expression() -> None:
    """`events_about` asks `(details -> 'ids') @> '[pk]'`: a GIN index of that expression
    (`jsonb_path_ops` answers `@>`) on the log and on each of its partitions."""
    from core.audit_browser import GroupedIdsContain

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'core_audit_grouped_ids_idx'"
        )
        (definition,) = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass('core_audit_grouped_ids_idx')"
        )
        (copies,) = cursor.fetchone()
    assert "USING gin (((details -> 'ids'::text)) jsonb_path_ops)" in definition
    assert copies == len(partitions_of("core_auditevent"))
    compiled = AuditEvent.objects.filter(GroupedIdsContain(12)).query.sql_with_params()
    assert "\"details\" -> 'ids') @>" in compiled[0]
