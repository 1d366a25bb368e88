from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from retention.ledger import LedgerCopyError, read_copy
from retention.models import ErasureEntry
from retention.services.replay import ReplayReport, replay_erasures

ACTOR = "manage.py replay_erasures"


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--since must be a date as YYYY-MM-DD, not {value!r}.") from None


class Command(BaseCommand):
    help = (
        "After a restore from a backup: redo every erasure the erasure ledger records since "
        "a day (the backup's), idempotently, and report what was redone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--since",
            type=_day,
            required=True,
            help="Legal day (YYYY-MM-DD, Tallinn) the backup was taken on, or any earlier day.",
        )
        parser.add_argument(
            "--from-file",
            nargs="?",
            type=Path,
            const=Path(settings.ERASURE_LEDGER_DIR),
            default=None,
            metavar="PATH",
            help="Also read the ledger's copy outside the database: a directory of "
            "erasures-*.jsonl files or one file (default: ERASURE_LEDGER_DIR). Needed after "
            "a restore, which rolls the database's ledger back too.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be redone; change nothing."
        )
        parser.add_argument("--json", action="store_true", help="The report as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        copy: list[ErasureEntry] = []
        if options["from_file"] is not None:
            try:
                read = read_copy(options["from_file"], since=options["since"])
            except (OSError, LedgerCopyError) as exc:
                raise CommandError(f"Cannot read the ledger copy: {exc}") from None
            for torn in read.torn:
                self.stderr.write(f"Skipped a line cut short by a crash: {torn}")
            copy = read.entries
        report = replay_erasures(
            since=options["since"], actor=ACTOR, copy=copy, dry_run=options["dry_run"]
        )
        if options["json"]:
            self.stdout.write(json.dumps(report.as_json(), indent=2, sort_keys=True))
        else:
            self._write(report)
        if report.refused:
            raise CommandError(
                f"{len(report.refused)} entries were not redone: " + "; ".join(report.refused)
            )

    def _write(self, report: ReplayReport) -> None:
        kind = "Dry run: would redo" if report.dry_run else "Redone"
        self.stdout.write(
            f"Erasure ledger since {report.since}: {report.entries} entries "
            f"({report.stored_again} stored again from the copy)."
        )
        for group in report.groups.values():
            under = f"rule {group.rule}" if group.rule else group.reason
            redone = group.entries - group.needed_nothing
            self.stdout.write(
                f"  {group.record_type} ({under}): {group.entries} entries, {redone} redone, "
                f"{group.needed_nothing} needed nothing; rows {group.rows}"
            )
        self.stdout.write(
            f"{kind}: {report.redone} entries; needed nothing: {report.needed_nothing}."
        )
