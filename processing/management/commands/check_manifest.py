"""`manage.py check_manifest SYSTEM`: the coverage gate. Exits 1 naming every problem: a
table or column the manifest names and the database lacks, a column neither annotated nor
marked not personal, a foreign key not modelled, a table of personal data not reached from an
identity — so the platform's CI can refuse a migration that adds personal data the portal
does not know."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from processing.databases.manifest import ManifestError, parse
from processing.databases.schema import Unreachable, problems_against, reflect
from processing.databases.sources import manifest_text, register_categories, url_for


class Command(BaseCommand):
    help = (
        "Check a system's manifest against its live database; exit 1 and name every column, "
        "foreign key or table it leaves out or gets wrong."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("system", nargs="?", help="The system's id or exact name.")
        parser.add_argument("--url", help="A database URL instead of the system's.")
        parser.add_argument("--manifest", help="A manifest file instead of the system's.")

    def handle(self, *args: Any, **options: Any) -> None:
        text = manifest_text(options["system"], options["manifest"])
        url = url_for(options["system"], options["url"])
        try:
            manifest = parse(text)
        except ManifestError as exc:
            self._fail([str(p) for p in exc.problems])
        try:
            live = reflect(url)
        except Unreachable as exc:
            raise CommandError(f"The database cannot be read: {exc}") from None
        problems = problems_against(manifest, live, categories=register_categories())
        if problems:
            self._fail([str(p) for p in problems])
        reached = len(manifest.reached())
        self.stdout.write(
            f"The manifest covers all {len(live.tables)} tables; {reached} hold people's rows."
        )

    def _fail(self, problems: list[str]) -> None:
        for problem in problems:
            self.stderr.write(problem)
        raise CommandError(f"{len(problems)} problem(s) in the manifest.", returncode=1)
