"""`migrate` as the owner of the tables, then the application role's grants.

Django's own command, run connected as DATABASE_MIGRATE_URL's role when it is set (the
post-migrate seeding too, which would otherwise meet tables the application cannot yet
reach); afterwards the application role gets the grants of the tables just created."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import migrate
from django.db import connections

from core.dbroles import application_role, as_table_owner, grant_app_role


class Command(migrate.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        using: str = options["database"]
        role = application_role(using)  # read before connecting as the owner
        with as_table_owner(using):
            super().handle(*args, **options)
            if role and connections[using].vendor == "postgresql":
                grants = grant_app_role(role=role, using=using)
                if options["verbosity"]:
                    self.stdout.write(
                        f"Granted {grants.role} read and write on {grants.read_write} tables, "
                        f"read and append only on {len(grants.append_only)}."
                    )
