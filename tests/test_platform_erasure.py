"""Issue 23, item 5 (the engine): a person erased from the platform's database by its
manifest — planned with a dry run, deletes children before parents, set-based batches each in
its own transaction, resumed after a crash, nothing done twice, and proved by looking for the
person again. On SQLite here and on PostgreSQL where CI gives one."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from processing.databases.erase import (
    Batch,
    Plan,
    PlanRefused,
    execute,
    keyed_hash,
    plan_erasure,
    refind,
)
from processing.databases.manifest import parse
from processing.databases.reach import identities_of
from processing.databases.schema import reflect
from tests.platform_db import ATTACHMENTS, MANIFEST, ROWS, run_script

KEY = b"platform-hash-key-for-tests"
KADRI = identities_of(email="kadri@ACME.example")


def _plan(url: str, manifest_text: str = MANIFEST + ATTACHMENTS) -> tuple[sa.Engine, Any, Plan]:
    run_script(url, ROWS)
    manifest = parse(manifest_text)
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        plan = plan_erasure(connection, manifest, reflect(url), KADRI)
    return engine, manifest, plan


def _table(engine: sa.Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.exec_driver_sql(sql).all()]


def _erases_kadri_and_only_her(url: str) -> None:
    engine, manifest, plan = _plan(url)
    assert plan.dry_run() == [
        {"table": "attachments", "action": "delete", "rows": 1, "columns": [], "reason": ""},
        {"table": "comments", "action": "delete", "rows": 2, "columns": [], "reason": ""},
        {
            "table": "users",
            "action": "update",
            "rows": 1,
            "columns": ["email", "full_name"],
            "reason": "",
        },
    ]
    assert _table(engine, "SELECT COUNT(*) FROM comments") == [(3,)]  # a dry run changes nothing
    ran = execute(engine, plan, hash_key=KEY)
    assert [(b.table, b.rows) for b in ran] == [("attachments", 1), ("comments", 2), ("users", 1)]
    assert _table(engine, "SELECT id, email, full_name FROM users ORDER BY id") == [
        (1, keyed_hash("Kadri@Acme.example", KEY), None),
        (2, "mart@acme.example", "Mart Mets"),
        (3, "kadri@acme.example.other", "Not Kadri"),
    ]
    assert _table(engine, "SELECT id FROM comments") == [(2,)]
    assert _table(engine, "SELECT id FROM attachments") == [(2,)]
    assert _table(engine, "SELECT COUNT(*) FROM projects") == [(1,)]
    with engine.connect() as connection:
        assert refind(connection, manifest, KADRI) == {}
    # The same plan again: nothing left to do, nothing changes.
    assert [b.rows for b in execute(engine, plan, hash_key=KEY)] == [0, 0, 1]
    engine.dispose()


def test_the_person_is_erased_and_nobody_else(platform_url: str) -> None:
    _erases_kadri_and_only_her(platform_url)


@pytest.mark.postgres
def test_the_person_is_erased_on_postgresql(postgres_platform_url: str) -> None:
    _erases_kadri_and_only_her(postgres_platform_url)


def test_a_run_killed_mid_way_resumes_where_it_stopped(platform_url: str) -> None:
    engine, manifest, plan = _plan(platform_url)
    stored = plan.as_json()  # what the caller keeps with the task
    committed: list[tuple[str, int]] = []

    def crash_after_the_first(batch: Batch) -> None:
        committed.append((batch.table, batch.index))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        execute(engine, plan, hash_key=KEY, on_done=crash_after_the_first)
    assert committed == [("attachments", 0)]
    assert _table(engine, "SELECT COUNT(*) FROM attachments") == [(1,)]  # its batch committed
    # The rerun follows the stored plan (the person may no longer be findable) and skips it.
    ran = execute(engine, Plan.from_json(stored), hash_key=KEY, done=committed)
    assert [(b.table, b.index) for b in ran] == [("comments", 0), ("users", 0)]
    with engine.connect() as connection:
        assert refind(connection, manifest, KADRI) == {}
    engine.dispose()


def test_a_plan_that_would_break_or_take_others_along_is_refused(platform_url: str) -> None:
    """The person's row would go while rows the plan keeps point at it: refused before
    anything is done."""
    deleting_users = (
        (MANIFEST + ATTACHMENTS)
        .replace("  users:\n    columns:", "  users:\n    erase: delete\n    columns:")
        .replace("  comments:\n    erase: delete\n", "  comments:\n")
        .replace(
            "body: {category: communication}",
            "body: {category: communication, erase: {value: '-'}}",
        )
    )
    with pytest.raises(PlanRefused) as refused:
        _plan(platform_url, deleting_users)
    assert [str(p) for p in refused.value.problems] == [
        "tables.comments.columns.author_id: 2 row(s) the plan does not delete would be deleted "
        "with them (ON DELETE CASCADE): deleting the person's users rows would fail or take "
        "them along"
    ]
    engine = sa.create_engine(platform_url)
    assert _table(engine, "SELECT COUNT(*) FROM users") == [(3,)]
    engine.dispose()


def test_what_a_table_keeps_stays_with_its_reason(platform_url: str) -> None:
    """Her comments kept (say, evidence of a claim): the dry run says so and why, the run leaves
    them, and the re-find does not count them."""
    kept = (MANIFEST + ATTACHMENTS).replace(
        "  comments:\n    erase: delete\n",
        "  comments:\n    keep: {reason: 'Evidence of claim 2026-17', rule: claims}\n",
    )
    engine, manifest, plan = _plan(platform_url, kept)
    by_table = {step["table"]: step for step in plan.dry_run()}
    assert by_table["comments"] == {
        "table": "comments", "action": "keep", "rows": 2, "columns": [],
        "reason": "Evidence of claim 2026-17",
    }  # fmt: skip
    execute(engine, plan, hash_key=KEY)
    assert _table(engine, "SELECT id FROM comments ORDER BY id") == [(1,), (2,), (3,)]
    assert _table(engine, "SELECT id FROM attachments") == [(2,)]
    with engine.connect() as connection:
        assert refind(connection, manifest, KADRI) == {}
    engine.dispose()


def test_a_kept_row_whose_parent_would_go_refuses_the_plan(platform_url: str) -> None:
    kept_child = (MANIFEST + ATTACHMENTS).replace(
        "  attachments:\n    erase: delete\n",
        "  attachments:\n    keep: {reason: 'Accounting Act: 7 years'}\n",
    )
    with pytest.raises(PlanRefused, match=r"tables\.attachments\.columns\.comment_id: 1 row"):
        _plan(platform_url, kept_child)
