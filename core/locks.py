"""PostgreSQL advisory locks: the one lock the application role may always take.

`SELECT … FOR UPDATE` needs the `UPDATE` privilege on the table, which the application role
lacks on the append-only tables (`core.dbroles`); an advisory lock needs no privilege at all.
Each lock is a 64-bit key that names its job, spelled in ASCII so that two jobs cannot pick
the same one by accident: `0x4155444954` "AUDIT" (the audit chain, taken in SQL by
`core.chain`), `0x5055524745` "PURGE", `0x5245434F5244` "RECORD".

SQLite has no advisory locks and needs none: every transaction here is IMMEDIATE
(`privacyops/database.py`), so a writer already holds the database's write lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


def hold_advisory_lock(key: int) -> None:
    """Wait for the lock `key`; it is held until the current transaction ends."""
    if not connection.in_atomic_block:
        raise RuntimeError("an advisory lock is held until commit: take it inside a transaction")
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


@contextmanager
def try_advisory_lock(key: int) -> Iterator[bool]:
    """The lock `key` for the block if no other session holds it (True), without waiting.

    A session lock, not a transaction's: a job that commits batch by batch keeps it across
    its commits, and the server releases it when a killed process's connection drops."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        locked = bool(cursor.fetchone()[0])
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
