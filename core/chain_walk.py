"""Reading the audit log for the chain's walk (`core.chain.verify_chain`): every event, in
(sequence, id) order, as the link the walk checks, `(id, sequence, prev_hash, hash, content
hash)`, sent in batches to the walk (a generator, `feed`). Ordered by id too, so that two
rows with one number (possible on PostgreSQL's partitioned table, see `core.partitions`)
come one after the other. A walk may read a segment of the log only, the events numbered
after one number and up to another (`Span`; `core.chain_segments` walks them side by side).

On PostgreSQL one `COPY (SELECT …) TO STDOUT` streams the log: the server fills the socket's
buffer while the walk hashes, and the tab-separated line is split in C where the driver
would convert each field of a row. The lines are hashed and handed to the walk a batch at a
time, so memory stays flat whatever the log's size and the walk's loop runs in one frame
instead of one generator resumption per event. One statement, one snapshot: events
appended meanwhile are walked by the next check. It reads a transaction's own rows too.
After a break the rest of the stream is read and dropped (abandoning a COPY would leave the
connection unusable). A thread reading ahead was tried: reading and hashing are both Python
and took turns on the interpreter's lock, 64 000 events/s against this way's more.

On SQLite the log is read in batches of `WALK_BATCH_SIZE`, each a query that starts after
the last row read.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection
from django.utils.dateparse import parse_datetime

from core.chain_hash import GENESIS_HASH, stored_content_hash, utc_iso

# Rows per query on SQLite (~30 ms per 5 000 here); a row is ~1 kB in Python.
WALK_BATCH_SIZE = 5_000
# COPY's lines hashed and handed over at a time on PostgreSQL: ~1 MB of lines.
COPY_BATCH_SIZE = 2_000

# (id, sequence, prev_hash, hash, content hash): what the walk checks of an event.
EventLink = tuple[int, int, str, str, str]
Report = TypeVar("Report")


@dataclass(frozen=True)
class Span:
    """The events numbered after `after` and up to `through` (None: no bound)."""

    after: int | None = None
    through: int | None = None

    def holds(self, sequence: int) -> bool:
        return (self.after is None or sequence > self.after) and (
            self.through is None or sequence <= self.through
        )

    def where(self) -> str:
        """The span as SQL; built from two integers only."""
        bounds = []
        if self.after is not None:
            bounds.append(f"sequence > {int(self.after)}")
        if self.through is not None:
            bounds.append(f"sequence <= {int(self.through)}")
        return " AND ".join(bounds) or "TRUE"


WHOLE_LOG = Span()


@dataclass(frozen=True)
class Resume:
    """Where a walk picks the chain up: the event it expects next and the hash of the one
    before, as an intact chain up to there leaves them (events 1 to `sequence - 1`, each
    once, so as many events checked)."""

    sequence: int = 1
    prev_hash: str = GENESIS_HASH


FROM_THE_START = Resume()

_CONTENT = "actor_id, actor_label, action, target_type, target_id, details, ip_address"
_SELECT = f"SELECT id, sequence, prev_hash, hash, {{moment}}, {_CONTENT} FROM core_auditevent"  # noqa: S608
# After the first batch, each starts after the last row read; its start travels as parameters.
_AFTER_ROW = "sequence >= %s AND (sequence > %s OR id > %s)"


def _moment(value: Any) -> str:
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is None:
        raise ValueError(f"not a moment: {value!r}")
    return utc_iso(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))


def _batches(span: Span) -> Iterator[list[EventLink]]:
    select = _SELECT.format(moment="occurred_at")
    last: tuple[int, int] | None = None
    while True:
        where, params = span.where(), []
        if last is not None:
            where, params = f"{where} AND {_AFTER_ROW}", [last[0], last[0], last[1]]
        with connection.cursor() as cursor:
            cursor.execute(
                f"{select} WHERE {where} ORDER BY sequence, id LIMIT %s",
                [*params, WALK_BATCH_SIZE],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        yield [
            (pk, sequence, prev, link, stored_content_hash(_moment(moment), *content))
            for pk, sequence, prev, link, moment, *content in rows
        ]
        last = (rows[-1][1], rows[-1][0])


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


def _copied_links(lines: list[str]) -> list[EventLink]:
    """The links of COPY's lines (NULL written as an empty field: only `actor_id` and
    `ip_address` may be NULL, and neither is ever an empty string)."""
    links = []
    for line in lines:
        fields = line[:-1].split("\t")
        if "\\" in line:
            fields = [_unescape(field) for field in fields]
        (pk, sequence, prev, link, moment, actor_id, label, action, kind, target, details, ip) = (
            fields
        )
        # `timestamp` text in ISO style: microseconds without trailing zeros, none if zero.
        fraction = moment[19:].ljust(7, "0") if len(moment) > 19 else ".000000"
        content = stored_content_hash(
            f"{moment[:10]}T{moment[11:19]}{fraction}+00:00",
            int(actor_id) if actor_id else None,
            label,
            action,
            kind,
            target,
            details,
            ip or None,
        )
        links.append((int(pk), int(sequence), prev, link, content))
    return links


def _copy(span: Span, send: Callable[[list[EventLink]], bool]) -> None:
    """Every link to `send`, a batch at a time, until it answers False; the rest of the
    stream is then dropped."""
    select = _SELECT.format(moment="occurred_at AT TIME ZONE 'UTC'")
    sql = f"COPY ({select} WHERE {span.where()} ORDER BY sequence, id) TO STDOUT WITH (NULL '')"

    class Sink(io.TextIOBase):
        # What psycopg2 writes COPY's lines to, one call per line.
        def __init__(self) -> None:
            super().__init__()
            self.wanted = True
            self.lines: list[str] = []

        def write(self, line: str) -> int:
            if self.wanted:
                self.lines.append(line)
                if len(self.lines) >= COPY_BATCH_SIZE:
                    self.flush_lines()
            return len(line)

        def flush_lines(self) -> None:
            if self.lines and self.wanted:
                self.wanted = send(_copied_links(self.lines))
            self.lines = []

    sink = Sink()
    with connection.cursor() as cursor:
        cursor.copy_expert(sql, sink)
    sink.flush_lines()


def feed(walk: Generator[None, list[EventLink] | None, Report], span: Span = WHOLE_LOG) -> Report:
    """Send the span's links to `walk` (started here) in batches, then None; what it
    returns."""
    outcome: list[Report] = []

    def send(batch: list[EventLink] | None) -> bool:
        try:
            walk.send(batch)
        except StopIteration as stop:
            outcome.append(stop.value)
            return False
        return True

    next(walk)
    if connection.vendor == "postgresql":
        _copy(span, send)
    else:
        for batch in _batches(span):
            if not send(batch):
                break
    if not outcome:
        send(None)
    return outcome[0]
