"""The erasure ledger: an entry before every erasure, and a copy outside the database.

Every path that erases or anonymises — the purge's batches, erasure on request and on
objection (`subjects.services.erase_subjects`), a deferred erasure (`defer_erasure`) — calls
`record_erasure` in its transaction before its statements run, so the entry and the erasure
commit together or not at all. The entry holds ids, codes and a reason, never personal data.

A restore from a backup rolls the database's ledger back with the data, so each entry is
also appended, once its transaction has committed, to a JSON-lines file of its legal day,
`ERASURE_LEDGER_DIR/erasures-YYYY-MM-DD.jsonl`, on storage the database's backups do not
cover; `manage.py replay_erasures --from-file` reads it back (`read_copy`). Appended after
commit, the copy never names an erasure that was rolled back. A process killed between the
commit and the append leaves an entry the copy lacks: `export_missing` (hourly, from beat)
appends what the copy of the last days lacks, so a replay that reads the copy and the
database together sees each entry once (`uuid` identifies it in both).

One line is written with one `write` under an exclusive `flock` and then `fsync`ed: web and
worker processes append to the same file without interleaving, and a line that was written
survives a crash of the machine. A line cut short by a crash mid-write is the last of its
file; the reader skips it and says so.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from core.timeutil import legal_date, legal_today, start_of_legal_day
from retention.models import ErasureAction, ErasureEntry, ErasureSource, id_list

logger = logging.getLogger(__name__)

FILE_PREFIX = "erasures-"
FILE_SUFFIX = ".jsonl"
# The hourly export looks this many legal days back: a night's missed append is caught the
# next hour, and reading two days of ids is a few megabytes at most.
EXPORT_DAYS = 2
# An entry younger than this may still be on its way to the copy (its commit has just run);
# the export leaves it to its own append.
SETTLING = dt.timedelta(minutes=1)
# Set when an append fails, cleared when the export has caught up: the alarm reads it on every
# page the DPO or Admin opens, so it is a cache key, not a query.
COPY_FAILING_KEY = "retention:erasure-ledger-copy-failing"


class LedgerCopyError(ValueError):
    """A line of the copy that is not an entry (and not a torn last line)."""


def record_erasure(
    *,
    source: str,
    record_type: str,
    action: str,
    ids: Sequence[int],
    reason: str,
    rule_code: str = "",
    purge_run: int | None = None,
    now: dt.datetime | None = None,
    details: dict[str, Any] | None = None,
) -> ErasureEntry:
    """The ledger entry of an erasure about to run, in the caller's transaction; copied
    outside the database once that transaction commits."""
    entry = ErasureEntry.objects.create(
        details=details,
        recorded_at=now or timezone.now(),
        source=source,
        record_type=record_type,
        action=action,
        rule_code=rule_code,
        reason=reason[:300],
        purge_run=purge_run,
        object_ids=id_list(ids),
    )
    transaction.on_commit(partial(_copy_after_commit, entry))
    return entry


def _copy_after_commit(entry: ErasureEntry) -> None:
    # The erasure has committed: failing here would report an erasure that happened as failed.
    # The hourly export appends what this missed, and says so if it cannot either.
    try:
        append_to_copy([entry])
    except OSError:
        cache.set(COPY_FAILING_KEY, True, None)
        logger.exception(
            "erasure ledger entry %s was not copied to %s; the hourly export retries",
            entry.uuid,
            settings.ERASURE_LEDGER_DIR,
        )


def copy_is_failing() -> bool:
    return bool(cache.get(COPY_FAILING_KEY))


def copy_path(day: dt.date, directory: Path | None = None) -> Path:
    return (directory or settings.ERASURE_LEDGER_DIR) / f"{FILE_PREFIX}{day:%Y-%m-%d}{FILE_SUFFIX}"


def as_json(entry: ErasureEntry) -> dict[str, Any]:
    return {
        "uuid": str(entry.uuid),
        "recorded_at": entry.recorded_at.isoformat(),
        "source": entry.source,
        "record_type": entry.record_type,
        "action": entry.action,
        "rule": entry.rule_code,
        "reason": entry.reason,
        "purge_run": entry.purge_run,
        "ids": entry.ids,
    } | ({"details": entry.details} if entry.details is not None else {})


def from_json(data: dict[str, Any]) -> ErasureEntry:
    """An unsaved entry from a line of the copy; refuses anything that is not one."""
    try:
        recorded_at = dt.datetime.fromisoformat(data["recorded_at"])
        ids = [int(pk) for pk in data["ids"]]
        entry = ErasureEntry(
            uuid=uuid.UUID(data["uuid"]),
            recorded_at=recorded_at,
            source=data["source"],
            record_type=str(data["record_type"]),
            action=data["action"],
            rule_code=str(data.get("rule") or ""),
            reason=str(data["reason"]),
            purge_run=None if data.get("purge_run") is None else int(data["purge_run"]),
            object_ids=id_list(ids),
            details=data.get("details"),
        )
        if entry.details is not None and not isinstance(entry.details, dict):
            raise ValueError("details is not an object")
    except (KeyError, TypeError, ValueError) as exc:
        raise LedgerCopyError(f"not an erasure ledger entry ({exc})") from None
    if timezone.is_naive(recorded_at):
        raise LedgerCopyError("recorded_at has no time zone")
    if entry.source not in ErasureSource.values or entry.action not in ErasureAction.values:
        raise LedgerCopyError(f"unknown source or action: {entry.source}, {entry.action}")
    return entry


def append_to_copy(entries: Iterable[ErasureEntry], directory: Path | None = None) -> None:
    for entry in entries:
        path = copy_path(legal_date(entry.recorded_at), directory)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(as_json(entry), separators=(",", ":")) + "\n"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)  # releases the lock


@dataclass
class CopyRead:
    entries: list[ErasureEntry] = field(default_factory=list)
    # "file:line" of each torn last line skipped.
    torn: list[str] = field(default_factory=list)


def copy_files(path: Path, *, since: dt.date) -> list[Path]:
    """The copy's files from `since` on, oldest first; `path` is the directory or one file."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"no erasure ledger copy at {path}")
    files = []
    for candidate in sorted(path.glob(f"{FILE_PREFIX}*{FILE_SUFFIX}")):
        day = candidate.name.removeprefix(FILE_PREFIX).removesuffix(FILE_SUFFIX)
        try:
            if dt.date.fromisoformat(day) >= since:
                files.append(candidate)
        except ValueError:
            continue  # not one of ours
    return files


def read_copy(path: Path, *, since: dt.date) -> CopyRead:
    """The copy's entries recorded from the start of the legal day `since` on, in the order
    they were appended."""
    start = start_of_legal_day(since)
    read = CopyRead()
    for file in copy_files(path, since=since):
        lines = file.read_bytes().split(b"\n")
        last = len(lines) - 1  # after the final newline: b"" in an intact file
        for number, raw in enumerate(lines):
            if not raw.strip():
                continue
            try:
                entry = from_json(json.loads(raw))
            except (ValueError, LedgerCopyError) as exc:
                if number == last:  # no newline after it: the write was cut short
                    read.torn.append(f"{file}:{number + 1}")
                    continue
                raise LedgerCopyError(f"{file}:{number + 1}: {exc}") from None
            if entry.recorded_at >= start:
                read.entries.append(entry)
    return read


def export_missing(*, now: dt.datetime | None = None, directory: Path | None = None) -> int:
    """Append to the copy the entries of the last `EXPORT_DAYS` days that it lacks (a process
    killed between an erasure's commit and its append). Returns how many."""
    now = now or timezone.now()
    since = legal_today(now) - dt.timedelta(days=EXPORT_DAYS - 1)
    folder = directory or settings.ERASURE_LEDGER_DIR
    recent = ErasureEntry.objects.since(start_of_legal_day(since)).filter(
        recorded_at__lt=now - SETTLING
    )
    try:
        read = read_copy(folder, since=since).entries if folder.exists() else []
        copied = {entry.uuid for entry in read}
        missing = [pk for pk, key in recent.values_list("pk", "uuid") if key not in copied]
        append_to_copy(
            ErasureEntry.objects.filter(pk__in=missing).order_by("recorded_at", "id"), folder
        )
    except OSError:
        cache.set(COPY_FAILING_KEY, True, None)
        raise
    cache.delete(COPY_FAILING_KEY)
    return len(missing)
