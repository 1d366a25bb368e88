"""The demo's platform database (`make run`): the SaaS platform's own tables, small — the
demo's companies as accounts, their people as users with projects, comments, time entries and
logins — and the system "The platform" connected to it by its manifest, so that a newcomer sees
an access request and an erasure reach it. An SQLite file under `var/`, or a second PostgreSQL
database beside the portal's when the portal runs on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from django.conf import settings
from django.utils import timezone

from processing.databases.connect import Connected, connect_database
from processing.models import PlatformDatabase, System

HERE = Path(__file__).parent / "demo"
SCHEMA = HERE / "schema.sql"
MANIFEST = HERE / "manifest.yaml"
SYSTEM_KEY = "internal:platform"


def default_url() -> str:
    """Beside the portal's own database: a second PostgreSQL database, or a file in var/."""
    database = settings.DATABASES["default"]
    if "postgresql" in database["ENGINE"]:
        url = sa.engine.URL.create(
            "postgresql+psycopg2",
            username=database.get("USER") or None,
            password=database.get("PASSWORD") or None,
            host=database.get("HOST") or None,
            port=int(database["PORT"]) if database.get("PORT") else None,
            database=f"{database['NAME']}_platform",
        )
        return url.render_as_string(hide_password=False)
    return f"sqlite:///{Path(settings.VAR_DIR) / 'platform-demo.sqlite3'}"


def create_database(url: str) -> bool:
    """Create the database (PostgreSQL) or its file's folder; False if it already holds the
    platform's tables."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "postgresql":
        admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            exists = connection.exec_driver_sql(
                "SELECT 1 FROM pg_database WHERE datname = %(name)s", {"name": parsed.database}
            ).first()
            if not exists:
                connection.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
        admin.dispose()
    elif parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    try:
        if not sa.inspect(engine).has_table("users"):
            return True
        if _columns(engine) == _columns(_schema_engine()):
            return False
        # Made by an earlier version of the demo: made again, as the demo it is.
        stale = sa.MetaData()
        stale.reflect(engine)
        stale.drop_all(engine)
        return True
    finally:
        engine.dispose()


def _schema_engine() -> sa.Engine:
    """The demo's schema in an in-memory database, to compare a live one with."""
    engine = sa.create_engine("sqlite://")
    with engine.begin() as connection:
        for statement in _statements():
            connection.exec_driver_sql(statement)
    return engine


def _columns(engine: sa.Engine) -> dict[str, set[str]]:
    inspector = sa.inspect(engine)
    return {
        table: {column["name"] for column in inspector.get_columns(table)}
        for table in inspector.get_table_names()
    }


def _statements() -> list[str]:
    statements = []
    for statement in SCHEMA.read_text().split(";"):
        body = "\n".join(line for line in statement.splitlines() if not line.startswith("--"))
        if body.strip():
            statements.append(body)
    return statements


def fill(url: str, people: list[Any], *, seed: int = 7) -> int:
    """The schema, and the people as the platform's users. Returns how many users."""
    rng = random.Random(seed)
    now = timezone.now()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for statement in _statements():
            connection.exec_driver_sql(statement)
        accounts = {p.organisation_id: p.organisation.name for p in people if p.organisation_id}
        metadata = sa.MetaData()
        tables = {n: sa.Table(n, metadata, autoload_with=connection) for n in (
            "accounts", "users", "projects", "comments", "time_entries", "login_events"
        )}  # fmt: skip
        connection.execute(
            sa.insert(tables["accounts"]),
            [
                {"id": pk, "name": name, "plan": rng.choice(["team", "business"])}
                for pk, name in accounts.items()
            ],
        )
        connection.execute(
            sa.insert(tables["projects"]),
            [
                {"id": pk, "account_id": pk, "title": f"{name}: onboarding"}
                for pk, name in accounts.items()
            ],
        )
        users = [p for p in people if p.organisation_id]
        connection.execute(
            sa.insert(tables["users"]),
            [
                {
                    "id": p.pk,
                    "account_id": p.organisation_id,
                    "email": p.work_email,
                    "full_name": f"{p.first_name} {p.last_name}".strip(),
                    "phone": p.work_phone or None,
                    "created_at": now - dt.timedelta(days=rng.randint(30, 700)),
                }
                for p in users
            ],
        )
        comments, entries, logins = [], [], []
        for p in users:
            for _ in range(rng.randint(0, 3)):
                comments.append(
                    {
                        "project_id": p.organisation_id,
                        "author_id": p.pk,
                        "body": rng.choice(COMMENTS),
                        "created_at": now - dt.timedelta(days=rng.randint(1, 300)),
                    }
                )
            for _ in range(rng.randint(0, 4)):
                entries.append(
                    {
                        "user_id": p.pk,
                        "project_id": p.organisation_id,
                        "minutes": rng.randint(15, 240),
                        "note": rng.choice(NOTES),
                    }
                )
            for _ in range(rng.randint(1, 3)):
                logins.append(
                    {
                        "user_id": p.pk,
                        "ip_address": ".".join(
                            ["10", *(str(rng.randint(1, 254)) for _ in range(3))]
                        ),
                        "created_at": now - dt.timedelta(hours=rng.randint(1, 2000)),
                    }
                )
        for name, rows in (
            ("comments", comments),
            ("time_entries", entries),
            ("login_events", logins),
        ):
            # Ids given, not generated: an INTEGER PRIMARY KEY counts by itself on SQLite only.
            for number, row in enumerate(rows, start=1):
                row["id"] = number
            if rows:
                connection.execute(sa.insert(tables[name]), rows)
    engine.dispose()
    return len(users)


COMMENTS = [
    "Could we move the review to Thursday?",
    "The export works now, thanks.",
    "I attached the signed order form.",
    "Please add my colleague to the project.",
]
NOTES = ["Planning", "Customer call", "Report", ""]


def connected_already() -> bool:
    """Whether "The platform" has a connection and a manifest in force."""
    database = PlatformDatabase.objects.filter(system__seed_key=SYSTEM_KEY).first()
    return database is not None and database.manifest() is not None


def connect_demo(url: str, *, actor: Any) -> Connected:
    system = System.objects.get(seed_key=SYSTEM_KEY)
    # The demo's database is reached as the portal's own user (development only).
    return connect_database(
        system=system,
        url=url,
        manifest_text=MANIFEST.read_text(),
        actor=actor,
        broad_role_allowed=True,
    )
