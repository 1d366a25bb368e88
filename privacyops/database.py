"""The database settings read from the environment: `DATABASE_URL` (PostgreSQL or SQLite,
the laptop default) and `DATABASE_MIGRATE_URL`, the same database as the role that owns its
tables. Each malformed value stops start-up with `ImproperlyConfigured`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from privacyops.environment import read_int


def database_settings(env: environ.Env, base_dir: Path) -> dict[str, Any]:
    try:
        db: dict[str, Any] = env.db_url(
            "DATABASE_URL", default=f"sqlite:///{base_dir / 'db.sqlite3'}"
        )
    except Exception as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from None
    if not db.get("ENGINE"):
        raise ImproperlyConfigured("DATABASE_URL names an unknown database scheme.")
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # Web, worker and beat share one SQLite file: WAL lets readers run beside the writer,
        # IMMEDIATE transactions take the write lock up front (no deadlock on upgrade), and the
        # busy timeout makes a second writer wait instead of failing.
        db.setdefault("OPTIONS", {}).update(
            {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
    elif db["ENGINE"] == "django.db.backends.postgresql":
        db.setdefault("CONN_MAX_AGE", read_int("CONN_MAX_AGE", 60))
        db.setdefault("CONN_HEALTH_CHECKS", True)
        # Tests create their own database; a per-run name lets parallel runs share a server.
        if os.environ.get("TEST_DATABASE_NAME"):
            db["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
    else:
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL or SQLite.")
    return db


def database_owner(env: environ.Env, db: dict[str, Any]) -> dict[str, str] | None:
    """The role that owns the tables. Set, the portal (web, worker, beat, every other command)
    connects as DATABASE_URL's role, which owns nothing and so cannot lift the append-only
    triggers, while `migrate` and `grant_app_role` connect as this owner and grant the
    application role what it needs after each migration. Unset (a laptop), one role does
    everything."""
    if not os.environ.get("DATABASE_MIGRATE_URL", "").strip():
        return None
    try:
        owner = env.db_url("DATABASE_MIGRATE_URL")
    except Exception as exc:
        raise ImproperlyConfigured(f"DATABASE_MIGRATE_URL is malformed: {exc}") from None
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_MIGRATE_URL needs DATABASE_URL on PostgreSQL.")
    if any(owner.get(key) != db.get(key) for key in ("ENGINE", "NAME", "HOST", "PORT")):
        raise ImproperlyConfigured(
            "DATABASE_MIGRATE_URL must name the same database, host and port as DATABASE_URL "
            "(only the role differs)."
        )
    if owner.get("USER") == db.get("USER"):
        raise ImproperlyConfigured(
            "DATABASE_MIGRATE_URL and DATABASE_URL name the same role: the application must "
            "connect as a role that owns none of the tables."
        )
    return {"USER": owner.get("USER", ""), "PASSWORD": owner.get("PASSWORD", "")}
