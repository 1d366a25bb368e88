"""`manage.py draft_manifest SYSTEM`: a first manifest from the live schema, to review."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from processing.databases.draft import draft
from processing.databases.schema import Unreachable, reflect
from processing.databases.sources import url_for


class Command(BaseCommand):
    help = (
        "Print a draft manifest of a system's database: every table and column, its foreign "
        "keys as references, categories guessed from the names (review each; `review` marks "
        "what could not be guessed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("system", nargs="?", help="The system's id or exact name.")
        parser.add_argument("--url", help="A database URL instead of the system's.")

    def handle(self, *args: Any, **options: Any) -> None:
        url = url_for(options["system"], options["url"])
        try:
            live = reflect(url)
        except Unreachable as exc:
            raise CommandError(f"The database cannot be read: {exc}") from None
        self.stdout.write(draft(live), ending="")
