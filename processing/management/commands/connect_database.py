"""`manage.py connect_database SYSTEM --url URL --manifest FILE`: the portal reaches the
system's own database itself from now on (access and erasure by its manifest). Run again with a
new manifest (and `--url` only for a new connection) it changes them, by the same checks and
rules as the system's page: a manifest that erases less waits for a DPO's confirmation there."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from processing.databases.connect import ConnectRefused, connect_database
from processing.databases.sources import manifest_text, system_named


class Command(BaseCommand):
    help = (
        "Connect a system to its database: check the manifest against the live schema, then "
        "store the connection (encrypted) and the manifest as a new version."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("system", help="The system's id or exact name.")
        parser.add_argument(
            "--url",
            default="",
            help="The database URL (a least-privilege role); without it, the current one.",
        )
        parser.add_argument("--manifest", required=True, help="The manifest file (YAML).")

    def handle(self, *args: Any, **options: Any) -> None:
        system = system_named(options["system"])
        text = manifest_text(None, options["manifest"])
        try:
            connected = connect_database(
                system=system, url=options["url"], manifest_text=text, actor="connect-database"
            )
        except ConnectRefused as refused:
            for problem in refused.problems:
                self.stderr.write(problem)
            raise CommandError("Nothing was saved.", returncode=1) from None
        if connected.pending:
            self.stdout.write(
                f"{system.name}: manifest v{connected.version} awaits a DPO's confirmation on the "
                "system's page, since it erases less than the version in force:"
            )
            for reason in connected.reasons:
                self.stdout.write(f"- {reason}")
            return
        if not connected.changed:
            self.stdout.write(f"{system.name}: manifest v{connected.version}, nothing changed.")
            return
        self.stdout.write(
            f"{system.name}: manifest v{connected.version} over {connected.tables} tables "
            f"({connected.reached} hold people's rows); the portal now reaches it by SQL."
        )
