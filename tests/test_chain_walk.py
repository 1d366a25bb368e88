"""The chain's walk hashes a stored row as the writer hashed the event (its fast path,
`core.chain_hash.stored_content_hash`), reads the log in batches in (sequence, id) order,
and stops at a number used twice, which PostgreSQL's partitioned table cannot refuse."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.db import connection

from core import chain_walk
from core.audit import record_event
from core.chain import EventContent, content_hash, link_hash, verify_chain
from core.chain_hash import stored_content_hash, stored_details, utc_iso
from core.models import AuditEvent

pytestmark = pytest.mark.django_db

AWKWARD_DETAILS: list[Any] = [
    {},
    {"ratio": 2.0, "big": 1e20, "small": 1e-11, "tenth": 0.1, "negative": -0.0},
    {"name": "Jüri Õun 😀", "quote": 'say "hi"\\\n\t', "control": "\x01"},
    {"nested": [{"b": 1, "a": [1.5, None, True, False]}, "x"], "z": {"y": {"x": 3.0}}},
    {"when": dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC), "ids": list(range(60))},
    {"é": "key not ascii", "": "empty key"},
]


@pytest.mark.parametrize("details", AWKWARD_DETAILS)
@pytest.mark.parametrize("ip", [None, "", "192.0.2.1", "2001:DB8:0:0:0:0:0:1", "::ffff:192.0.2.1"])
def test_a_stored_row_hashes_as_the_event_that_was_written(details: Any, ip: str | None) -> None:
    stored = stored_details(details)
    content = EventContent(
        dt.datetime(2026, 11, 20, 10, 0, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        7,
        "dpo ü",
        "subject.viewed",
        "subjects.datasubject",
        "12",
        stored,
        ip,
    )
    moment = utc_iso(content.occurred_at)
    # Text as the database hands it back, and a value some drivers parse already.
    for read in (json.dumps(stored), stored):
        hashed = stored_content_hash(
            moment, 7, "dpo ü", "subject.viewed", "subjects.datasubject", "12", read, ip
        )
        assert hashed == content_hash(content)


def test_the_walk_verifies_awkward_events_through_the_database(dpo: Any) -> None:
    for n, details in enumerate(AWKWARD_DETAILS):
        ip = ["192.0.2.1", "2001:DB8::1", None][n % 3]
        record_event(action="subject.viewed", actor=dpo, details=details, ip_address=ip)
        record_event(action="system.job", actor="nightly-purge", details=details)
    report = verify_chain()
    assert report.intact and report.checked == 2 * len(AWKWARD_DETAILS)


def test_the_walk_reads_in_batches_across_months(dpo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chain_walk, "WALK_BATCH_SIZE", 2)
    for month in (1, 2, 3, 11):
        with time_machine.travel(dt.datetime(2026, month, 28, 23, 0, tzinfo=dt.UTC)):
            for n in range(3):
                record_event(action="subject.viewed", actor=dpo, target_id=n)
    report = verify_chain()
    assert report.intact and report.checked == 12 and report.head_sequence == 12


@pytest.mark.postgres
def test_a_number_used_twice_stops_the_walk_at_its_second_row() -> None:
    """On PostgreSQL `sequence` is unique only with `occurred_at` (the table is partitioned
    by month): whoever may INSERT can store a second row #2 in another month. Whichever row
    the walk meets second breaks the chain, however the batches fall."""
    events = [record_event(action="subject.viewed", actor="test", target_id=n) for n in range(3)]
    forged = EventContent(
        dt.datetime(2031, 5, 1, tzinfo=dt.UTC), None, "test", "subject.viewed", "", "9", {}, None
    )
    forged_hash = link_hash(2, content_hash(forged), events[0].hash)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_auditevent (sequence, prev_hash, hash, occurred_at, actor_label, "
            "action, target_type, target_id, details) VALUES (2, %s, %s, %s, 'test', "
            "'subject.viewed', '', '9', '{}') RETURNING id",
            [events[0].hash, forged_hash, forged.occurred_at],
        )
        (forged_id,) = cursor.fetchone()
    for batch in (1, 2, 5000):
        chain_walk.WALK_BATCH_SIZE, saved = batch, chain_walk.WALK_BATCH_SIZE
        try:
            report = verify_chain()
        finally:
            chain_walk.WALK_BATCH_SIZE = saved
        assert report.broken is not None, batch
        assert report.broken.sequence == 2
        assert report.broken.event_id == forged_id
        assert "event #2 appears twice" in report.broken.problem
        assert (report.checked, report.head_sequence) == (1, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_walk_streams_the_log_and_stops_at_a_break() -> None:
    """PostgreSQL's walk reads one COPY, committed rows as a transaction's own: a label with
    a tab, a newline or a backslash comes back as written, and after a walk stopped at a
    break the connection serves the next statement (the rest of the stream was read)."""
    labels = ["tab\there", "new\nline", "back\\slash\\n", "cr\r\\", "plain"]
    for n, details in enumerate(AWKWARD_DETAILS):
        record_event(
            action="subject.viewed",
            actor=labels[n % len(labels)],
            target_id=f"id\t{n}",
            details=details,
            ip_address=["192.0.2.1", "2001:DB8::1", None][n % 3],
        )
    report = verify_chain()
    assert report.intact and report.checked == len(AWKWARD_DETAILS)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
        cursor.execute("UPDATE core_auditevent SET action = 'edited' WHERE sequence = 2")
        cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")
    report = verify_chain()
    assert report.broken is not None and report.broken.sequence == 2
    assert "the row was edited" in report.broken.problem
    assert AuditEvent.objects.count() == len(AWKWARD_DETAILS)
