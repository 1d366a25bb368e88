from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import ngettext

from core.commandline import OneLineErrorCommand
from core.display import staff_date
from core.timeutil import legal_today
from retention.models import PurgeRunStatus
from retention.runs import rule_line, run_counts_in_words
from retention.services.purge import PurgeRefused, default_batch_size, run_purge


def _day(value: str) -> dt.date:
    """argparse's type: its error is one line and exit status 2, never a traceback."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a real day as YYYY-MM-DD, not {value!r}"
        ) from None


# sysexits.h's EX_TEMPFAIL, "try again later": a scheduler or a shell tells a skipped run from
# a purge done (0), a purge refused or failed (1) and a bad argument (2).
EXIT_SKIPPED = 75


class Command(OneLineErrorCommand):
    help = (
        "Delete or anonymise data whose retention period has run out (as the nightly job). "
        "Exit status: 0 the purge ran (or the dry run counted); 1 it was refused or failed; "
        "2 a bad argument; 75 skipped, because another purge is running: the message says "
        "from when a run takes over one that has stopped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count only; change nothing.")
        parser.add_argument(
            "--as-of", type=_day, default=None, help="Legal day (default: today in Tallinn)."
        )
        parser.add_argument("--json", action="store_true", help="Per-rule counts as JSON.")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="Primary records per batch (20 000 on PostgreSQL, 5 000 on SQLite).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = options["as_of"] or legal_today()
        if options["batch_size"] is None:
            options["batch_size"] = default_batch_size()
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            run = run_purge(
                as_of=as_of,
                dry_run=options["dry_run"],
                actor="manage.py purge",
                batch_size=options["batch_size"],
            )
        except PurgeRefused as exc:
            raise CommandError(str(exc)) from None
        rules = {
            code: {"records": entry["records"], "rows": entry["rows"]}
            for code, entry in run.counts.items()
        }
        counts = run_counts_in_words(run)
        if options["json"]:
            payload = {
                "run": run.pk,
                "status": run.status,
                "as_of": run.as_of.isoformat(),
                "dry_run": run.dry_run,
                "rules": rules,
                "total": run.total,
                "note": run.note,
            }
            self.stdout.write(json.dumps(payload, indent=2, sort_keys=True))
        else:
            kind = "Dry run" if run.dry_run else "Purge"
            note = f" {run.note}" if run.note else ""
            self.stdout.write(
                f"{kind} #{run.pk} as of {staff_date(run.as_of)}: {run.get_status_display()}.{note}"
            )
            for count in counts:
                self.stdout.write("  " + rule_line(count, dry_run=run.dry_run))
            self.stdout.write(
                "  "
                + ngettext("In all: %(n)d record", "In all: %(n)d records", run.total)
                % {"n": run.total}
            )
        if run.status == PurgeRunStatus.SKIPPED:
            raise CommandError(f"Skipped. {run.note}", returncode=EXIT_SKIPPED)
