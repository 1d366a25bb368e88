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
from tests.platform_db import ATTACHMENTS, MANIFEST, ROWS, run_script


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
