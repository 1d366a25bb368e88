"""Reading the audit log for the chain's walk (`core.chain.verify_chain`): every event, in
(sequence, id) order, as the content the walk's hash takes
(`core.chain_hash.stored_content_hash`), sent row by row to the walk (a generator, `feed`).
Ordered by id too, so that two rows with one number (possible on PostgreSQL's partitioned
table, see `core.partitions`) come one after the other.

On PostgreSQL one `COPY (SELECT …) TO STDOUT` streams the log and each line goes to the walk
as the driver hands it over: no batch is held (memory stays flat whatever the log's size),
the server fills the socket's buffer while the walk hashes, and the tab-separated line is
split in C where the driver would convert each field of a row. One statement, one snapshot:
events appended meanwhile are walked by the next check. It reads a transaction's own rows
too. After a break the rest of the stream is read and dropped (abandoning a COPY would leave
the connection unusable). A thread reading ahead was tried: reading and hashing are both
Python and took turns on the interpreter's lock, 64 000 events/s against this way's more.

On SQLite the log is read in batches of `WALK_BATCH_SIZE`, each a query that starts after
the last row read.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Generator, Iterator
from typing import Any, TypeVar

from django.db import connection
from django.utils.dateparse import parse_datetime

from core.chain_hash import utc_iso

# Rows per query on SQLite (~30 ms per 5 000 here); a row is ~1 kB in Python.
WALK_BATCH_SIZE = 5_000

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
Report = TypeVar("Report")


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


def _copy(send: Callable[[Row], bool]) -> None:
    """Every row to `send` until it answers False; the rest of the stream is dropped."""

    class Sink(io.TextIOBase):
        # What psycopg2 writes COPY's lines to, one call per line.
        wanted = True

        def write(self, line: str) -> int:
            if self.wanted:
                self.wanted = send(_copied_row(line))
            return len(line)

    with connection.cursor() as cursor:
        cursor.copy_expert(_COPY_SQL, Sink())


def feed(walk: Generator[None, Row | None, Report]) -> Report:
    """Send every row to `walk` (started here), then None; what it returns."""
    outcome: list[Report] = []

    def send(row: Row | None) -> bool:
        try:
            walk.send(row)
        except StopIteration as stop:
            outcome.append(stop.value)
            return False
        return True

    next(walk)
    if connection.vendor == "postgresql":
        _copy(send)
    else:
        for batch in _batches():
            if not all(send(row) for row in batch):
                break
    if not outcome:
        send(None)
    return outcome[0]
