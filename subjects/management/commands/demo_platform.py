"""`manage.py demo_platform --if-empty`: the demo's platform database, filled with the demo's
people, and "The platform" connected to it (development only; `make run` calls it)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from processing.databases.connect import ConnectRefused
from processing.databases.demo import (
    connect_demo,
    connected_already,
    create_database,
    default_url,
    fill,
)
from subjects.models import DataSubject


class Command(BaseCommand):
    help = "Create the demo's platform database and connect the system “The platform” to it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", help="Where (default: beside the portal's database).")
        parser.add_argument(
            "--if-empty", action="store_true", help="Leave an existing platform database as it is."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["url"] or default_url()
        fresh = create_database(url)
        users = 0
        if fresh:
            people = list(
                DataSubject.objects.active()
                .filter(organisation__isnull=False)
                .select_related("organisation")
                .order_by("pk")
            )
            users = fill(url, [p for p in people if p.work_email])
        elif not options["if_empty"]:
            raise CommandError("The platform database already exists: pass --if-empty to keep it.")
        elif connected_already():
            # Kept as it is, with the manifest an Admin may have changed since.
            self.stdout.write("The platform: its database and manifest are kept as they are.")
            return
        try:
            connected = connect_demo(url, actor="demo")
        except ConnectRefused as refused:
            raise CommandError("; ".join(refused.problems)) from None
        self.stdout.write(
            f"The platform: {users or 'existing'} users, manifest v{connected.version} over "
            f"{connected.tables} tables; the portal reaches it by SQL."
        )
