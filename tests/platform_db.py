"""A small platform database for the tests of the platform connector: its schema,
a manifest of it, and where it lives (an SQLite file, or a second PostgreSQL database beside the
suite's, per worker)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

PLATFORM_DDL = """
CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR(200), plan VARCHAR(20));
CREATE TABLE users (
    id INTEGER PRIMARY KEY, account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
    email VARCHAR(254), full_name VARCHAR(200), created_at TIMESTAMP
);
CREATE TABLE projects (id INTEGER PRIMARY KEY, account_id INTEGER REFERENCES accounts(id),
    title VARCHAR(200));
CREATE TABLE comments (
    id INTEGER PRIMARY KEY, project_id INTEGER REFERENCES projects(id),
    author_id INTEGER REFERENCES users(id) ON DELETE CASCADE, body TEXT
);
"""

MANIFEST = """
manifest: 1
tables:
  accounts: not personal
  projects: not personal
  users:
    columns:
      id: not personal
      account_id: {references: accounts.id}
      email: {category: contact, identity: email, erase: hash}
      full_name: {category: identification, erase: clear}
      created_at: not personal
  comments:
    erase: delete
    columns:
      id: not personal
      project_id: {references: projects.id}
      author_id: {references: users.id}
      body: {category: communication}
"""


def run_script(url: str, script: str = "") -> None:
    """Run SQL statements (by default the platform's schema) on the database at `url`."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for statement in (script or PLATFORM_DDL).split(";"):
            if statement.strip():
                connection.exec_driver_sql(statement)
    engine.dispose()


def sqlite_platform(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'platform.sqlite3'}"
    run_script(url)
    return url


def postgres_platform() -> Iterator[str]:
    """A second PostgreSQL database beside the suite's, per worker."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    server = sa.engine.make_url(base.replace("postgres://", "postgresql://", 1))
    name = f"po_platform_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    run_script(url)
    yield url
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
    admin.dispose()


# A table more, and people: Kadri (two comments, one with a file), her colleague Mart, and
# someone at another company whose address only looks like hers.
ATTACHMENTS = """
  attachments:
    erase: delete
    columns:
      id: not personal
      comment_id: {references: comments.id}
      file_name: {category: communication}
"""
ROWS = """
CREATE TABLE attachments (id INTEGER PRIMARY KEY, comment_id INTEGER REFERENCES comments(id),
    file_name VARCHAR(200));
INSERT INTO accounts (id, name, plan) VALUES (1, 'Acme', 'pro'), (2, 'Other', 'free');
INSERT INTO users (id, account_id, email, full_name) VALUES
    (1, 1, 'Kadri@Acme.example', 'Kadri Kask'), (2, 1, 'mart@acme.example', 'Mart Mets'),
    (3, 2, 'kadri@acme.example.other', 'Not Kadri');
INSERT INTO projects (id, account_id, title) VALUES (1, 1, 'Launch');
INSERT INTO comments (id, project_id, author_id, body) VALUES
    (1, 1, 1, 'Kadri writes'), (2, 1, 2, 'Mart answers'), (3, 1, 1, NULL);
INSERT INTO attachments (id, comment_id, file_name) VALUES (1, 1, 'plan.pdf'), (2, 2, 'x.pdf')
"""
