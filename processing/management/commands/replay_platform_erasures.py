"""`manage.py replay_platform_erasures SYSTEM --since DAY`: after a system's own database is
restored from a backup, make again every erasure the portal carried out there since the
backup's day, from the erasure ledger (and its copy outside the portal's database), then check
that each left nothing behind."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.audit import record_event
from processing.databases.certify import entries_of, replay
from processing.databases.sources import database_of
from retention.management.ledger_options import add_ledger_arguments, copy_entries
from retention.services.replay import entries_since

ACTOR = "manage.py replay_platform_erasures"


class Command(BaseCommand):
    help = (
        "After a system's database is restored from a backup: redo the erasures the portal "
        "carried out in it since a day (the backup's), and check them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("system", help="The system's id or exact name.")
        add_ledger_arguments(
            parser,
            copy_help="Also read the ledger's copy outside the portal's database (default: "
            "ERASURE_LEDGER_DIR).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        database = database_of(options["system"])
        copy = copy_entries(options, self.stderr)
        entries = entries_of(database.system_id, entries_since(options["since"], copy))
        done = replay(str(database.url), entries)
        for item in done:
            state = (
                "checked: nothing left"
                if not item.left
                else "LEFT: " + ", ".join(f"{t} ({n})" for t, n in sorted(item.left.items()))
            )
            self.stdout.write(
                f"  {item.recorded_at:%Y-%m-%d %H:%M} entry {item.entry}: {item.rows} row(s); "
                f"{state}"
            )
        failed = [item for item in done if item.left]
        record_event(
            action="processing.platform_erasures_replayed",
            actor=ACTOR,
            target=database.system,
            details={
                "since": options["since"].isoformat(),
                "entries": len(done),
                "left": len(failed),
            },
        )
        self.stdout.write(
            f"{database.system.name}: {len(done)} erasure(s) since {options['since']} made again."
        )
        if failed:
            raise CommandError(f"{len(failed)} erasure(s) left rows behind: see above.")
