"""Issue 23, item 4 (the engine): a person's rows in the platform's database, found from
their identities through the manifest's references — only theirs: their comment on someone
else's project is theirs, the project and the colleague's comment are not. On SQLite here and
on PostgreSQL where CI gives one."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from processing.databases.manifest import parse
from processing.databases.reach import find, identities_of
from tests.platform_db import MANIFEST, run_script

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


def _found(url: str, **identities: str) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    run_script(url, ROWS)
    manifest = parse(MANIFEST + ATTACHMENTS)
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = find(connection, manifest, identities_of(**identities))
    engine.dispose()
    ids = {table: sorted(row["id"] for row in rows) for table, rows in found.rows.items()}
    return ids, found.personal(manifest)


def test_the_persons_rows_and_only_theirs(platform_url: str) -> None:
    ids, told = _found(platform_url, email="KADRI@acme.example")
    assert ids == {"users": [1], "comments": [1, 3], "attachments": [1]}
    assert told == {
        "contact": {"users": [{"email": "Kadri@Acme.example"}]},
        "identification": {"users": [{"full_name": "Kadri Kask"}]},
        "communication": {
            "comments": [{"body": "Kadri writes"}],  # the empty comment says nothing
            "attachments": [{"file_name": "plan.pdf"}],
        },
    }


def test_someone_the_platform_does_not_hold_has_no_rows(platform_url: str) -> None:
    ids, told = _found(platform_url, email="nobody@acme.example")
    assert ids == {"users": []} and told == {}
    assert _found_nothing_without_identities(platform_url)


def _found_nothing_without_identities(url: str) -> bool:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = find(connection, parse(MANIFEST), identities_of())
    engine.dispose()
    return found.count() == 0


@pytest.mark.postgres
def test_the_persons_rows_on_postgresql(postgres_platform_url: str) -> None:
    ids, _told = _found(postgres_platform_url, email="kadri@ACME.example")
    assert ids == {"users": [1], "comments": [1, 3], "attachments": [1]}
