"""Erasures made again after the database is restored from a backup.

A backup taken on day B holds, as they were, the rows erased after B, and a restore brings
them back. The erasure ledger names them: `replay_erasures` re-applies every entry since a
day, in ledger order (claims before the people they kept, as the purge ran them), each
through its record type's `redo` — set-based per entry, rows already anonymised skipped by
the type's `pending`, rows the backup still holds anonymised or deleted again — with the
entry's own time, so a deadline anchored on the erasure (evidence kept 3 years after it)
does not move. A second replay finds nothing to do.

The restore rolls the database's ledger back too: the entries come from the database and
from its copy outside it (`retention.ledger.read_copy`), once per `uuid`; an entry the
database lacks is stored again in the transaction that redoes it, so the ledger is whole
again. A dry run does everything in one transaction and rolls it back: its counts are exact.

Ids are the only identity an entry keeps (no personal data), so run the replay before the
portal takes writes again: a row created after the restore could take the id of a row that
was created and erased after the backup (docs/operations.md, "Backups and restore").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from core.audit import Actor, record_event
from core.timeutil import start_of_legal_day
from retention.models import ErasureEntry, ErasureSource
from retention.registry import ActionRefused, Applied, registry
from retention.services.purge import default_batch_size


@dataclass
class ReplayGroup:
    """Entries of one record type under one rule (purge) or one reason (erasure)."""

    record_type: str
    rule: str
    reason: str
    entries: int = 0
    needed_nothing: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "record_type": self.record_type,
            "rule": self.rule,
            "reason": self.reason,
            "entries": self.entries,
            "redone": self.entries - self.needed_nothing,
            "needed_nothing": self.needed_nothing,
            "rows": self.rows,
        }


@dataclass
class ReplayReport:
    since: dt.date
    dry_run: bool
    entries: int = 0
    stored_again: int = 0
    needed_nothing: int = 0
    groups: dict[tuple[str, str, str], ReplayGroup] = field(default_factory=dict)
    # Entries whose record type or action this code base no longer knows: nothing was redone.
    refused: list[str] = field(default_factory=list)

    @property
    def redone(self) -> int:
        return self.entries - self.needed_nothing - len(self.refused)

    def as_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "dry_run": self.dry_run,
            "entries": self.entries,
            "redone": self.redone,
            "needed_nothing": self.needed_nothing,
            "stored_again": self.stored_again,
            "groups": [group.as_json() for group in self.groups.values()],
            "refused": self.refused,
        }


def entries_since(since: dt.date, copy: Iterable[ErasureEntry] = ()) -> list[ErasureEntry]:
    """The database's entries and the copy's, each once, in ledger order (a stable sort: the
    copy's order breaks a tie of time, as it is the order the commits were in)."""
    merged = {entry.uuid: entry for entry in ErasureEntry.objects.since(start_of_legal_day(since))}
    for entry in copy:
        merged.setdefault(entry.uuid, entry)
    return sorted(merged.values(), key=lambda entry: entry.recorded_at)


def replay_erasures(
    *,
    since: dt.date,
    actor: Actor,
    copy: Iterable[ErasureEntry] = (),
    dry_run: bool = False,
) -> ReplayReport:
    """Redo every erasure recorded since the start of the legal day `since`. Each entry
    commits on its own, so an interrupted replay keeps what it redid and a rerun finishes
    the rest; a dry run rolls everything back at the end."""
    report = ReplayReport(since=since, dry_run=dry_run)
    entries = entries_since(since, copy)
    with transaction.atomic() if dry_run else nullcontext():
        for entry in entries:
            _replay(entry, report)
        if dry_run:
            transaction.set_rollback(True)
            return report
    summary = report.as_json()
    record_event(
        action="retention.erasures_replayed",
        actor=actor,
        target_type="retention.erasureentry",
        details=summary | {"refused": len(report.refused)},
    )
    return report


def _replay(entry: ErasureEntry, report: ReplayReport) -> None:
    report.entries += 1
    if entry.source == ErasureSource.PLATFORM:
        # Made in a system's own database, which this restore did not roll back: stored
        # again, redone there by `manage.py replay_platform_erasures` after that database's.
        if entry._state.adding:
            entry.save()
            report.stored_again += 1
        report.needed_nothing += 1
        key = (entry.record_type, "", entry.reason)
        group = report.groups.setdefault(key, ReplayGroup(*key))
        group.entries += 1
        group.needed_nothing += 1
        return
    if entry.record_type not in registry:
        report.refused.append(f"{entry.uuid}: no record type {entry.record_type}")
        return
    record_type = registry.get(entry.record_type)
    missing = entry._state.adding
    applied = Applied()
    try:
        with transaction.atomic():
            if missing:
                entry.save()
            ids = entry.ids
            # Primary records per `redo`: the purge's batch, whose cost is measured (an
            # entry of the purge holds one batch; one of erasure on request may hold more).
            size = default_batch_size()
            for start in range(0, len(ids), size):
                chunk = ids[start : start + size]
                applied.merge(record_type.redo(chunk, action=entry.action, now=entry.recorded_at))
    except ActionRefused as exc:
        report.refused.append(f"{entry.uuid}: {exc}")
        return
    report.stored_again += int(missing)
    rule = entry.rule_code if entry.source == ErasureSource.PURGE else ""
    key = (entry.record_type, rule, "" if rule else entry.reason)
    group = report.groups.setdefault(key, ReplayGroup(*key))
    group.entries += 1
    if not applied.rows:
        group.needed_nothing += 1
        report.needed_nothing += 1
    for label, rows in applied.counts.items():
        if rows:
            group.rows[label] = group.rows.get(label, 0) + rows
