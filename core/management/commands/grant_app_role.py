from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from core.dbroles import application_role, as_table_owner, ensure_login_role, grant_app_role


class Command(BaseCommand):
    help = (
        "PostgreSQL: grant the application role (default: DATABASE_URL's role) what the portal "
        "needs and no more, connected as the tables' owner (DATABASE_MIGRATE_URL). `migrate` "
        "runs this after every migration."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", help="the application's role (default: DATABASE_URL's)")
        parser.add_argument(
            "--create",
            action="store_true",
            help="create the role (LOGIN only) with DATABASE_URL's password if it is missing",
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **options: Any) -> None:
        using: str = options["database"]
        if connections[using].vendor != "postgresql":
            raise CommandError("Database roles exist on PostgreSQL only (SQLite has one user).")
        app_role = application_role(using)  # read before connecting as the owner
        role = options["role"] or app_role
        if not role:
            raise CommandError(
                "Name the role (--role), or set DATABASE_MIGRATE_URL so that DATABASE_URL's "
                "role is the application's."
            )
        password = str(connections[using].settings_dict.get("PASSWORD") or "")
        with as_table_owner(using):
            if options["create"]:
                if role != app_role:
                    raise CommandError("--create makes DATABASE_URL's role only.")
                if ensure_login_role(role=role, password=password, using=using):
                    self.stdout.write(f"Created the login role {role}.")
            try:
                grants = grant_app_role(role=role, using=using)
            except RuntimeError as exc:
                raise CommandError(str(exc)) from None
        if options["verbosity"]:
            owner = settings.DATABASE_OWNER or {}
            self.stdout.write(
                self.style.SUCCESS(
                    f"Granted {grants.role}: read and write on {grants.read_write} tables, "
                    f"read and append only on {', '.join(grants.append_only)} "
                    f"(as {owner.get('USER') or 'the connected role'})."
                )
            )
