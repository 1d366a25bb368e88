from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from retention.management.ledger_options import add_ledger_arguments, copy_entries
from retention.services.replay import ReplayReport, replay_erasures

ACTOR = "manage.py replay_erasures"


class Command(BaseCommand):
    help = (
        "After a restore from a backup: redo every erasure the erasure ledger records since "
        "a day (the backup's), idempotently, and report what was redone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_ledger_arguments(
            parser,
            copy_help="Also read the ledger's copy outside the database: a directory of "
            "erasures-*.jsonl files or one file (default: ERASURE_LEDGER_DIR). Needed after "
            "a restore, which rolls the database's ledger back too.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be redone; change nothing."
        )
        parser.add_argument("--json", action="store_true", help="The report as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        copy = copy_entries(options, self.stderr)
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
