"""A backup of the whole test database and its restore, as an operator would make them:
SQLite's online backup API, or pg_dump and pg_restore on PostgreSQL. Either restore rolls back
every table, the erasure ledger included."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from django.db import connection, connections


def pg(tool: str, *args: str) -> None:
    """Run a PostgreSQL client tool against the test database."""
    settings = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": settings["PASSWORD"] or ""}
    command = [tool, "-h", settings["HOST"] or "127.0.0.1", "-p", str(settings["PORT"] or 5432)]
    command += ["-U", settings["USER"] or "postgres", "-d", settings["NAME"], *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


class Backup:
    """Taken when made; `restore()` puts the database back as it was then. Needs a
    transactional test: a backup sees only what has been committed."""

    def __init__(self, folder: Path) -> None:
        self.dump = folder / "backup.dump"
        if connection.vendor == "postgresql":
            pg("pg_dump", "--format=custom", "--file", str(self.dump))
            return
        connection.ensure_connection()
        self.saved = sqlite3.connect(":memory:")
        connection.connection.backup(self.saved)

    def restore(self) -> None:
        if connection.vendor == "postgresql":
            connections.close_all()  # pg_restore drops the tables a connection has open
            pg(
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--exit-on-error",
                str(self.dump),
            )
            return
        self.saved.backup(connection.connection)
