"""A large log on PostgreSQL is walked in segments side by side, forked processes each with
a connection of its own (`core.chain_segments`). Whatever was done to the log, the report
is the one a single walk from the first event gives: each case below tampers with a log of
thirty events cut in three segments (events 1–10, 11–20, 21–), at a boundary, inside a
segment, before the first number and after the last, and compares the two walks."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection, transaction

from core import chain_segments
from core.audit import record_event
from core.chain import (
    ChainReport,
    EventContent,
    ExportedHead,
    content_hash,
    link_hash,
    verify_chain,
    walk_span,
)
from core.chain_walk import FROM_THE_START, WHOLE_LOG
from core.models import AuditEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

EVENTS = 30
# Three segments of thirty: min(processors, MAX_SEGMENTS, 30 // SEGMENT_EVENTS) = 3.
SEGMENT_EVENTS = 5
PROCESSORS = 3
BOUNDARIES = (10, 20)
LATER = dt.datetime(2031, 5, 1, tzinfo=dt.UTC)  # another month: another partition

Heads = tuple[tuple[int, str] | None, list[ExportedHead]]


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the children forked, the log cut as above."""
    monkeypatch.setattr(chain_segments, "SEGMENT_EVENTS", SEGMENT_EVENTS)
    monkeypatch.setattr(chain_segments, "processors", lambda: PROCESSORS)
    pids: list[int] = []
    fork = chain_segments._fork

    def counted(work: Callable[[], Any]) -> Any:
        child = fork(work)
        pids.append(child.pid)
        return child

    monkeypatch.setattr(chain_segments, "_fork", counted)
    return pids


@contextmanager
def tampering() -> Iterator[Any]:
    """Raw SQL past the log's triggers, committed (the segments' connections see it)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        yield cursor


def log() -> list[AuditEvent]:
    return [
        record_event(action="subject.viewed", actor="test", target_id=n, details={"n": n})
        for n in range(1, EVENTS + 1)
    ]


def head(event: AuditEvent, *, events: int | None = None, hash_: str | None = None) -> ExportedHead:
    return ExportedHead(
        day=dt.date(2026, 11, 20),
        exported_at=dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC),
        event_id=event.pk,
        sequence=event.sequence,
        hash=hash_ or event.hash,
        events=event.sequence if events is None else events,
    )


def forge(cursor: Any, sequence: int, prev_hash: str, *, occurred_at: dt.datetime = LATER) -> None:
    """A row numbered `sequence` whose own link is computed correctly."""
    content = EventContent(occurred_at, None, "forger", "subject.viewed", "", "9", {}, None)
    cursor.execute(
        "INSERT INTO core_auditevent (sequence, prev_hash, hash, occurred_at, actor_label, "
        "action, target_type, target_id, details) VALUES (%s, %s, %s, %s, 'forger', "
        "'subject.viewed', '', '9', '{}')",
        [sequence, prev_hash, link_hash(sequence, content_hash(content), prev_hash), occurred_at],
    )


def edit(*sequences: int) -> Callable[[list[AuditEvent]], Heads]:
    def case(events: list[AuditEvent]) -> Heads:
        with tampering() as cursor:
            cursor.execute(
                "UPDATE core_auditevent SET action = 'edited' WHERE sequence = ANY(%s)",
                [list(sequences)],
            )
        return None, []

    return case


def delete(*sequences: int) -> Callable[[list[AuditEvent]], Heads]:
    def case(events: list[AuditEvent]) -> Heads:
        with tampering() as cursor:
            cursor.execute(
                "DELETE FROM core_auditevent WHERE sequence = ANY(%s)", [list(sequences)]
            )
        return None, []

    return case


def duplicate(sequence: int) -> Callable[[list[AuditEvent]], Heads]:
    def case(events: list[AuditEvent]) -> Heads:
        with tampering() as cursor:
            forge(cursor, sequence, events[sequence - 2].hash)
        return None, []

    return case


def forged_below(sequence: int) -> Callable[[list[AuditEvent]], Heads]:
    def case(events: list[AuditEvent]) -> Heads:
        with tampering() as cursor:
            forge(cursor, sequence, "f" * 64)
        return None, []

    return case


def relinked(sequence: int) -> Callable[[list[AuditEvent]], Heads]:
    def case(events: list[AuditEvent]) -> Heads:
        with tampering() as cursor:
            cursor.execute(
                "UPDATE core_auditevent SET prev_hash = %s WHERE sequence = %s",
                ["e" * 64, sequence],
            )
        return None, []

    return case


def rewritten_from(sequence: int) -> Callable[[list[AuditEvent]], Heads]:
    """Event `sequence` edited and every link after it computed again: only the heads kept
    outside the database show it."""

    def case(events: list[AuditEvent]) -> Heads:
        exported = [head(events[4]), head(events[14]), head(events[24])]
        with tampering() as cursor:
            prev = events[sequence - 2].hash
            for event in events[sequence - 1 :]:
                details = {"n": -1} if event.sequence == sequence else event.details
                content = EventContent(
                    event.occurred_at,
                    None,
                    "test",
                    event.action,
                    "",
                    event.target_id,
                    details,
                    None,
                )
                link = link_hash(event.sequence, content_hash(content), prev)
                cursor.execute(
                    "UPDATE core_auditevent SET details = %s, prev_hash = %s, hash = %s "
                    "WHERE id = %s",
                    [f'{{"n": {details["n"]}}}', prev, link, event.pk],
                )
                prev = link
        return None, exported

    return case


def with_heads(events: list[AuditEvent]) -> Heads:
    return (EVENTS, events[-1].hash), [head(events[4]), head(events[14]), head(events[24])]


def wrong_heads(events: list[AuditEvent]) -> Heads:
    return None, [head(events[14], hash_="d" * 64), head(events[24], events=24)]


def heads_beyond(events: list[AuditEvent]) -> Heads:
    later = ExportedHead(dt.date(2026, 11, 21), LATER, 999, 35, "c" * 64, 35)
    return None, [head(events[9]), later]


def cut_short(events: list[AuditEvent]) -> Heads:
    with tampering() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE sequence > 27")
    return (EVENTS, events[-1].hash), []


def expected_elsewhere(events: list[AuditEvent]) -> Heads:
    return (15, "b" * 64), []


# (case, whether the log is still walked in segments: not when a boundary's number is gone)
CASES: dict[str, tuple[Callable[[list[AuditEvent]], Heads], bool]] = {
    "intact": (lambda events: (None, []), True),
    "intact, with heads": (with_heads, True),
    "edited in the middle segment": (edit(15), True),
    "edited in the first and last segments": (edit(5, 25), True),
    "edited at a boundary": (edit(10), True),
    "edited first of a segment": (edit(21), True),
    "deleted at a boundary": (delete(20), False),
    "deleted first of a segment": (delete(11), True),
    "deleted last of the log": (delete(30), True),
    "a second #10, at a boundary": (duplicate(10), True),
    "a second #11, first of a segment": (duplicate(11), True),
    "a second #30": (duplicate(30), True),
    "a row numbered 0": (forged_below(0), True),
    "relinked first of a segment": (relinked(21), True),
    "rewritten from #12": (rewritten_from(12), True),
    "heads not as exported": (wrong_heads, True),
    "heads beyond the log": (heads_beyond, True),
    "cut short since the last check": (cut_short, True),
    "the last check's head edited": (expected_elsewhere, True),
}


@pytest.mark.parametrize("name", CASES)
def test_the_walk_in_segments_reports_as_one_walk_from_the_start(
    name: str, forks: list[int]
) -> None:
    case, in_segments = CASES[name]
    events = log()
    expected_head, exported = case(events)
    one_walk = walk_span(WHOLE_LOG, FROM_THE_START, expected_head, exported)
    assert not forks
    report = verify_chain(expected_head=expected_head, exported=exported)
    assert report == one_walk
    assert len(forks) == (len(BOUNDARIES) if in_segments else 0)
    for pid in forks:  # every child ended and was reaped, stopped early or not
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    if name.startswith("intact"):
        assert report.intact and report.checked == EVENTS
    elif name == "deleted last of the log":  # a shorter log, valid: what exported heads are for
        assert report.intact and report.checked == EVENTS - 1
    else:
        assert not report.intact


def test_a_segment_that_fails_fails_the_walk_with_its_reason(
    forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    log()
    parent = os.getpid()
    walk = chain_segments.walk_in_segments

    def failing_in_children(span: Any, resume: Any) -> ChainReport:
        if os.getpid() != parent:
            raise RuntimeError("the disk went away")
        return walk_span(span, resume, None, [])

    with pytest.raises(chain_segments.SegmentWalkFailed, match="the disk went away"):
        walk(failing_in_children)
    assert len(forks) == len(BOUNDARIES)
    for pid in forks:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    # The parent's connection is untouched by its children.
    assert AuditEvent.objects.count() == EVENTS


@pytest.mark.django_db(transaction=False)
def test_inside_a_transaction_the_log_is_walked_in_one(forks: list[int]) -> None:
    """Another connection would not see the transaction's own events."""
    log()
    report = verify_chain()
    assert report.intact and report.checked == EVENTS
    assert forks == []
