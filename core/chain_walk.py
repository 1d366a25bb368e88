"""Reading the audit log for the chain's walk (`core.chain.verify_chain`): every event, in
(sequence, id) order, as the content the walk's hash takes
(`core.chain_hash.stored_content_hash`). Ordered by id too, so that two rows with one number
(possible on PostgreSQL's partitioned table, see `core.partitions`) come one after the other.

On PostgreSQL outside a transaction (the daily check, `manage.py verify_audit`), one `COPY
(SELECT …) TO STDOUT` streams the log, read by a thread on a connection of its own while the
walk hashes the batch before: the server's work and the hashing overlap instead of taking
turns, and COPY's tab-separated lines are split in C where the driver would convert each
field (half the walk's time when it read batches of rows). The thread hands over one batch
at a time and waits while the walk is behind, so memory stays at a batch or two, and the
server waits with it. The one statement sees one snapshot: events appended meanwhile are
walked by the next check.

Inside a transaction (a test's, a caller's) another connection would not see its rows, and
on SQLite there is no COPY: there the log is read in batches of `WALK_BATCH_SIZE`, each a
query that starts after the last row read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection, connections
from django.utils.dateparse import parse_datetime

from core.chain_hash import utc_iso

# Rows per batch handed over (COPY) or per query (batches). A row is ~1 kB in Python and up
# to three batches are held at once (one hashed, one handed over, one being read): at 10 000
# the walk of a million events peaked 80 MB above its start, at 2 000 it stays within ~15 MB;
# the handing over costs nothing measurable at either size.
WALK_BATCH_SIZE = 2_000

_CONTENT = "actor_id, actor_label, action, target_type, target_id, details, ip_address"
# Built from this module's constants only; the batch's start travels as parameters.
_BATCH_SQL = (
    f"SELECT id, sequence, prev_hash, hash, occurred_at, {_CONTENT} FROM core_auditevent "  # noqa: S608
    "WHERE sequence >= %s AND (sequence > %s OR id > %s) ORDER BY sequence, id LIMIT %s"
)
# NULL as an empty field: only `actor_id` and `ip_address` may be NULL, and neither is ever
# an empty string (the text columns, which may be, are NOT NULL).
_COPY_SQL = (
    "COPY (SELECT id, sequence, prev_hash, hash, occurred_at AT TIME ZONE 'UTC', "  # noqa: S608
    f"{_CONTENT} FROM core_auditevent ORDER BY sequence, id) TO STDOUT WITH (NULL '')"
)

Row = tuple[Any, ...]


def _moment(value: Any) -> str:
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is None:
        raise ValueError(f"not a moment: {value!r}")
    return utc_iso(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))


def _batches() -> Iterator[list[Row]]:
    """(id, sequence, prev_hash, hash, *the content `stored_content_hash` takes) per row."""
    last_sequence, last_id = 0, 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(_BATCH_SQL, [last_sequence, last_sequence, last_id, WALK_BATCH_SIZE])
            batch = [(*row[:4], _moment(row[4]), *row[5:]) for row in cursor.fetchall()]
        if not batch:
            return
        yield batch
        last_id, last_sequence = batch[-1][0], batch[-1][1]


# COPY's text format escapes these (and nothing else it emits) with a backslash.
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v"}


def _unescape(field: str) -> str:
    parts = field.split("\\")
    text = [parts[0]]
    skip = False
    for part in parts[1:]:
        if skip:  # the part after an escaped backslash
            text.append(part)
            skip = False
        elif part:
            text.append(_ESCAPES[part[0]] + part[1:])
        else:
            text.append("\\")
            skip = True
    return "".join(text)


def _copied_row(line: str) -> Row:
    fields = line[:-1].split("\t")
    if "\\" in line:
        fields = [_unescape(field) for field in fields]
    (pk, sequence, prev_hash, hash_, moment, actor_id, label, action, kind, target, details, ip) = (
        fields
    )
    # `timestamp` text in ISO style: microseconds without trailing zeros, none if zero.
    fraction = moment[19:].ljust(7, "0") if len(moment) > 19 else ".000000"
    return (
        int(pk),
        int(sequence),
        prev_hash,
        hash_,
        f"{moment[:10]}T{moment[11:19]}{fraction}+00:00",
        int(actor_id) if actor_id else None,
        label,
        action,
        kind,
        target,
        details,
        ip or None,
    )


class _CopySink(io.TextIOBase):
    """What psycopg2 writes COPY's lines to (one call per line), cut into batches."""

    def __init__(self, deliver: Callable[[list[Row]], None]) -> None:
        self.deliver = deliver
        self.batch: list[Row] = []

    def write(self, line: str) -> int:
        self.batch.append(_copied_row(line))
        if len(self.batch) >= WALK_BATCH_SIZE:
            self.deliver(self.batch)
            self.batch = []
        return len(line)


class _Stopped(Exception):
    """The walk stopped early (a break found): the COPY is abandoned."""


_DONE = object()


def _copied_ahead() -> Iterator[list[Row]]:
    """The whole log in batches, streamed by one COPY in a thread (see the docstring)."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def hand_over(item: Any) -> None:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        raise _Stopped

    def read() -> None:
        try:
            sink = _CopySink(hand_over)
            with connection.cursor() as cursor:
                cursor.execute("SET datestyle TO ISO")
                cursor.copy_expert(_COPY_SQL, sink)
            if sink.batch:
                hand_over(sink.batch)
            hand_over(_DONE)
        except _Stopped:
            pass
        except Exception as exc:  # the walk raises it
            with contextlib.suppress(_Stopped):
                hand_over(exc)
        finally:
            connections.close_all()  # this thread's own connection, perhaps mid-COPY

    reader = threading.Thread(target=read, name="audit-walk-reader", daemon=True)
    reader.start()
    try:
        while (item := ready.get()) is not _DONE:
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


def walk() -> Iterator[Row]:
    """Every event, in (sequence, id) order: (id, sequence, prev_hash, hash, occurred_at as
    `utc_iso` writes it, actor_id, actor_label, action, target_type, target_id, details as
    stored JSON text, ip_address)."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        batches = _copied_ahead()
    else:
        batches = _batches()
    for batch in batches:
        yield from batch
