"""A large audit log walked in segments side by side, one process each, on PostgreSQL.

Why: the walk is Python hashing every event twice, one processor's worth of work, while the
server's side of the COPY keeps another processor only partly busy. Measured on the 2-core
machine of `docs/performance.md`, ten million events: 221 000 events/s walked by one
process, 325 000/s by two.

The segments: the numbers up to `head` cut into consecutive spans, the first open below and
the last open above (no row escapes, not one with a forged number under 1, nor one appended
meanwhile). Segment k, the events after the number b, is walked from the `Resume` an intact
chain leaves at b: the row numbered b that a walk from the start accepts (the lowest id: a
second row with that number breaks the segment before). If every segment before k is
intact, the chain up to b is intact and ends at that very row, so segment k reports what
one walk from the start would: the first segment that is not intact gives the report, else
the last. A number missing at a boundary is a break there: then the log is walked once from
the start, which reports it. `tests/test_chain_segments.py` holds the two ways to the same
report, tampering included.

When: on PostgreSQL, outside a transaction (another connection cannot see a transaction's
own rows), with processors to spare and at least `SEGMENT_EVENTS` events a segment.

How: the parent walks the first segment on its own connection while forked children walk
the others, each on a connection of its own, and send their report back pickled through a
pipe. `os.fork`, not `multiprocessing`: a Celery worker's pool process is daemonic, and
`multiprocessing` refuses such a process children. A child must not touch the parent's
connection: closing it, or letting it be collected, would end the parent's session on the
socket they share; it keeps it aside and leaves through `os._exit`. Once a segment is found
broken, the children walking later ones are stopped.
"""

from __future__ import annotations

import functools
import itertools
import os
import pickle
import signal
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from django.db import connection, connections

from core.chain_walk import FROM_THE_START, Resume, Span

# Fewer events than this a segment are walked sooner by one process than a fork pays for.
SEGMENT_EVENTS = 250_000
# Each segment keeps a server process busy beside its own.
MAX_SEGMENTS = 4


class _Report(Protocol):
    @property
    def intact(self) -> bool: ...


Report = TypeVar("Report", bound=_Report)


class SegmentWalkFailed(RuntimeError):
    """A child walking a segment failed; the message holds its traceback."""


def processors() -> int:
    """The processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def segments_for(events: int) -> int:
    """How many segments a log of `events` events is walked in here (1: in one walk)."""
    return max(1, min(processors(), MAX_SEGMENTS, events // SEGMENT_EVENTS))


def walk_in_segments(walk: Callable[[Span, Resume], Report]) -> Report | None:
    """The report of `walk` over the whole log in segments side by side; None when the log
    is not walked so (see the module's docstring), and the caller walks it in one."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    if not connection.get_autocommit():
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(sequence) FROM core_auditevent")
        (head,) = cursor.fetchone()
    parts = segments_for(head or 0)
    if parts < 2:
        return None
    bounds = [head * k // parts for k in range(1, parts)]
    resumes = _resumes(bounds)
    if resumes is None:
        return None
    spans = [Span(None, bounds[0])]
    spans += [Span(after, through) for after, through in itertools.pairwise(bounds)]
    spans.append(Span(bounds[-1], None))
    children: list[_Child] = []
    try:
        for span, resume in zip(spans[1:], resumes, strict=True):
            children.append(_fork(functools.partial(walk, span, resume)))
        report = walk(spans[0], FROM_THE_START)
        for child in children:
            if not report.intact:
                break
            report = child.report()
        return report
    finally:
        for child in children:
            child.stop()


def _resumes(bounds: list[int]) -> list[Resume] | None:
    """Where each segment after the first picks the chain up; None if a boundary's number
    is missing (the chain is broken there)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT ON (sequence) sequence, hash FROM core_auditevent "
            "WHERE sequence = ANY(%s) ORDER BY sequence, id",
            [bounds],
        )
        found = dict(cursor.fetchall())
    if len(found) != len(bounds):
        return None
    return [Resume(bound + 1, found[bound]) for bound in bounds]


# The parent's connections as a child inherited them: kept referenced, never closed.
_INHERITED: list[Any] = []


def _leave_parent_connections() -> None:
    for wrapper in connections.all(initialized_only=True):
        _INHERITED.append(wrapper.connection)
        wrapper.connection = None  # the next query opens the child's own


@dataclass
class _Child:
    pid: int
    pipe: int
    done: bool = False

    def report(self) -> Any:
        """The child's report, once it has ended; raises SegmentWalkFailed if it failed."""
        self.done = True
        try:
            with os.fdopen(self.pipe, "rb") as pipe:
                sent = pipe.read()
        finally:
            _, status = os.waitpid(self.pid, 0)
        if not sent:
            raise SegmentWalkFailed(f"a segment's walk ended without a report ({status=})")
        try:
            kind, value = pickle.loads(sent)  # noqa: S301  (from the child this process forked)
        except Exception as error:
            raise SegmentWalkFailed(f"a segment's walk sent no whole report: {error}") from error
        if kind != "report":
            raise SegmentWalkFailed(f"a segment's walk failed:\n{value}")
        return value

    def stop(self) -> None:
        if self.done:
            return
        self.done = True
        os.kill(self.pid, signal.SIGTERM)
        os.close(self.pipe)
        os.waitpid(self.pid, 0)


def _fork(work: Callable[[], Any]) -> _Child:
    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        return _Child(pid, read)
    # The child: whatever happens, it reports and leaves without running the parent's
    # exit handlers (a test runner's, a worker's).
    code = 1
    try:
        os.close(read)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _leave_parent_connections()
        try:
            outcome = ("report", work())
        finally:
            connection.close()
        code = 0
    except BaseException:
        outcome = ("error", traceback.format_exc())
    try:
        with os.fdopen(write, "wb") as pipe:
            pickle.dump(outcome, pipe)
    finally:
        os._exit(code)
