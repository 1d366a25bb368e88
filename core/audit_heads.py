"""The audit chain's heads, exported outside the database: one JSON line a day.

The application role may INSERT into the audit log, and the table's owner may rewrite it
whole; a chain that verifies proves only that it is consistent with itself. A head copied
where neither can rewrite it anchors everything before it: `verify_audit --against FILE`
requires each exported head to be still in the log, the same event with the same hash at the
same place, so a cut tail, a rewritten history or an event slipped in before a head is named.

The portal opens the file for appending only (`O_APPEND`) and never truncates or rewrites
it, but it cannot stop its own operating-system user from doing so: the operator makes the
file append-only for that user (`chattr +a`, a file owned by another user the portal may
only append to, or storage with object lock), which is what the anchor rests on.

One line is one `write` under an exclusive `flock`, then `fsync`ed, as the erasure ledger's
copy (`retention.ledger`). A line cut short by a crash is the last of its file; the next
append starts on a line of its own, and the reader skips such a line and says so.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.chain import ExportedHead

_HASH = re.compile(r"[0-9a-f]{64}")


class HeadFileError(ValueError):
    """The file of exported heads cannot be read, or holds a line that is not a head."""


def as_json(head: ExportedHead) -> dict[str, Any]:
    return {
        "day": head.day.isoformat(),
        "exported_at": head.exported_at.isoformat(),
        "event_id": head.event_id,
        "sequence": head.sequence,
        "hash": head.hash,
        "events": head.events,
    }


def from_json(data: Any) -> ExportedHead:
    try:
        head = ExportedHead(
            day=dt.date.fromisoformat(data["day"]),
            exported_at=dt.datetime.fromisoformat(data["exported_at"]),
            event_id=int(data["event_id"]),
            sequence=int(data["sequence"]),
            hash=str(data["hash"]),
            events=int(data["events"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise HeadFileError(f"not an exported head ({exc})") from None
    if head.sequence < 1 or head.events < 1 or not _HASH.fullmatch(head.hash):
        raise HeadFileError("not an exported head (sequence, count or hash out of shape)")
    return head


def append_head(path: Path, head: ExportedHead) -> None:
    """Append one line; the file is never opened for writing anywhere but at its end."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(as_json(head), separators=(",", ":")) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if _ends_mid_line(path):
            line = "\n" + line  # a torn line stays what it is, and this one whole
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)  # releases the lock


def _ends_mid_line(path: Path) -> bool:
    with path.open("rb") as file:
        if file.seek(0, os.SEEK_END) == 0:
            return False
        file.seek(-1, os.SEEK_END)
        return file.read(1) != b"\n"


@dataclass
class HeadsRead:
    heads: list[ExportedHead] = field(default_factory=list)
    # "file:line" of each torn last line skipped.
    torn: list[str] = field(default_factory=list)


def read_heads(path: Path) -> HeadsRead:
    """Every head in the file, in the order they were appended."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise HeadFileError(f"no file of exported audit heads at {path}") from None
    except IsADirectoryError:
        raise HeadFileError(f"{path} is a folder, not a file of exported audit heads") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise HeadFileError(f"cannot read {path}: {exc}") from None
    read = HeadsRead()
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            # A line cut short by a crash mid-write; the next append began a line of its own.
            if line.startswith("{") and not line.rstrip().endswith("}"):
                read.torn.append(f"{path}:{number}")
                continue
            raise HeadFileError(f"{path}:{number}: not an exported head ({exc})") from None
        try:
            read.heads.append(from_json(data))
        except HeadFileError as exc:
            raise HeadFileError(f"{path}:{number}: {exc}") from None
    return read
