"""The engine: a person erased from the platform's database by its
manifest — planned with a dry run, deletes children before parents, set-based batches each in
its own transaction, resumed after a crash, nothing done twice, and proved by looking for the
person again. On SQLite here and on PostgreSQL where CI gives one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from processing.databases.bulk import Group, erase_many
from processing.databases.erase import Plan, PlanRefused, plan_erasure, refind
from processing.databases.manifest import parse
from processing.databases.reach import Reflected, identities_of
from processing.databases.schema import reflect
from processing.databases.statements import Batch, execute, keyed_hash
from tests.platform_db import ATTACHMENTS, MANIFEST, ROWS, run_script, sqlite_platform

KEY = b"platform-hash-key-for-tests"
KADRI = identities_of(email="kadri@ACME.example")
MART = identities_of(email="mart@acme.example")
NOT_KADRI = identities_of(email="kadri@acme.example.other")


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


def _erase_many(
    url: str, people: list[dict[str, list[str]]], group: int, manifest_text: str = ""
) -> tuple[list[Group], list[str]]:
    """Erase the people in one run; the groups' outcomes and the statements sent."""
    run_script(url, ROWS)
    engine = sa.create_engine(url)
    sent: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    groups = list(
        erase_many(
            engine,
            parse(manifest_text or MANIFEST + ATTACHMENTS),
            reflect(url),
            people,
            hash_key=KEY,
            group=group,
        )
    )
    engine.dispose()
    return groups, sent


def _many_are_erased_and_certified(url: str) -> None:
    nobody = identities_of(email="nobody@acme.example")
    groups, _sent = _erase_many(url, [KADRI, MART, nobody], group=2)
    assert [(g.first, g.people, g.left, g.refused) for g in groups] == [
        (0, 2, {}, {}),
        (2, 1, {}, {}),
    ]
    assert groups[0].rows == {"attachments": 2, "comments": 3, "users": 2}
    engine = sa.create_engine(url)
    assert _table(engine, "SELECT id, email, full_name FROM users ORDER BY id") == [
        (1, keyed_hash("Kadri@Acme.example", KEY), None),
        (2, keyed_hash("mart@acme.example", KEY), None),
        (3, "kadri@acme.example.other", "Not Kadri"),
    ]
    assert _table(engine, "SELECT COUNT(*) FROM comments") == [(0,)]
    assert _table(engine, "SELECT COUNT(*) FROM attachments") == [(0,)]
    engine.dispose()


def test_many_people_are_erased_in_one_run_and_certified(platform_url: str) -> None:
    _many_are_erased_and_certified(platform_url)


@pytest.mark.postgres
def test_many_people_are_erased_in_one_run_on_postgresql(postgres_platform_url: str) -> None:
    _many_are_erased_and_certified(postgres_platform_url)


def _fresh(tmp_path: Path, name: str) -> str:
    (tmp_path / name).mkdir()
    return sqlite_platform(tmp_path / name)


def test_a_run_costs_statements_per_group_not_per_person(tmp_path: Path) -> None:
    """Two people in a group send the statements one person sends, and after the first group
    the tables are not read from the catalog again."""
    _groups, alone = _erase_many(_fresh(tmp_path, "alone"), [KADRI], group=1)
    _groups, together = _erase_many(_fresh(tmp_path, "together"), [KADRI, MART], group=2)
    assert len(together) == len(alone)
    groups, apart = _erase_many(_fresh(tmp_path, "apart"), [KADRI, MART], group=1)
    assert [g.left for g in groups] == [{}, {}]
    assert len(_data(apart)) == 2 * len(_data(alone))
    assert len(apart) - len(_data(apart)) == len(alone) - len(_data(alone)) > 0


def _data(sent: list[str]) -> list[str]:
    """The statements that do not read SQLite's catalog."""
    return [s for s in sent if "PRAGMA" not in s and "_master" not in s]


def test_a_person_a_run_cannot_erase_is_named_and_the_others_are_erased(
    platform_url: str,
) -> None:
    """Her rows would take her comments along; the stranger, without comments, goes."""
    deleting_users = (
        (MANIFEST + ATTACHMENTS)
        .replace("  users:\n    columns:", "  users:\n    erase: delete\n    columns:")
        .replace("  comments:\n    erase: delete\n", "  comments:\n")
        .replace(
            "body: {category: communication}",
            "body: {category: communication, erase: {value: '-'}}",
        )
    )
    groups, _sent = _erase_many(
        platform_url, [KADRI, NOT_KADRI], group=2, manifest_text=deleting_users
    )
    assert list(groups[0].refused) == [0]
    assert "tables.comments.columns.author_id: 2 row(s)" in groups[0].refused[0]
    assert groups[0].left == {} and groups[0].rows == {"users": 1}
    engine = sa.create_engine(platform_url)
    assert _table(engine, "SELECT id FROM users ORDER BY id") == [(1,), (2,)]
    assert _table(engine, "SELECT body FROM comments WHERE author_id = 1") == [
        ("Kadri writes",),
        (None,),
    ]
    engine.dispose()


def test_a_second_plan_reads_no_catalog(platform_url: str) -> None:
    run_script(platform_url, ROWS)
    engine = sa.create_engine(platform_url)
    manifest, live, reflected = parse(MANIFEST + ATTACHMENTS), reflect(platform_url), Reflected()
    with engine.connect() as connection:
        plan_erasure(connection, manifest, live, KADRI, reflected=reflected)
        sent: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
        plan = plan_erasure(connection, manifest, live, MART, reflected=reflected)
    assert sent and sent == _data(sent)
    assert [b.rows for b in execute(engine, plan, hash_key=KEY, reflected=reflected)] == [1, 1, 1]
    engine.dispose()


@pytest.mark.parametrize("killed_after", [0, 1, 2])
def test_a_run_killed_at_any_batch_is_finished_by_a_fresh_plan(
    tmp_path: Path, killed_after: int
) -> None:
    """The rows that find her change last: whatever was done before a crash, a plan made
    afresh from her e-mail still finds the rest (a comment changed, not deleted, here)."""
    url = sqlite_platform(tmp_path)
    changing_comments = (
        (MANIFEST + ATTACHMENTS)
        .replace("  comments:\n    erase: delete\n", "  comments:\n")
        .replace(
            "body: {category: communication}",
            "body: {category: communication, erase: {value: '-'}}",
        )
    )
    engine, manifest, plan = _plan(url, changing_comments)
    assert [s.table for s in plan.steps] == ["comments", "attachments", "users"]
    ran: list[Batch] = []

    def crash(batch: Batch) -> None:
        ran.append(batch)
        if len(ran) > killed_after:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        execute(engine, plan, hash_key=KEY, on_done=crash)
    with engine.connect() as connection:
        again = plan_erasure(connection, manifest, reflect(url), KADRI)
    execute(engine, again, hash_key=KEY)
    assert _table(engine, "SELECT id, body FROM comments ORDER BY id") == [
        (1, "-"),
        (2, "Mart answers"),
        (3, "-"),
    ]
    assert _table(engine, "SELECT id FROM attachments") == [(2,)]
    assert _table(engine, "SELECT email FROM users WHERE id = 1") == [
        (keyed_hash("Kadri@Acme.example", KEY),)
    ]
    engine.dispose()


def test_a_row_the_manifest_does_not_reach_that_refers_to_her_refuses_the_plan(
    platform_url: str,
) -> None:
    """A table outside the manifest (an export log, say) pointing at her row: asked of the
    database, since no reference of the manifest leads there."""
    run_script(
        platform_url,
        "CREATE TABLE exports (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));"
        "INSERT INTO exports (id, user_id) VALUES (1, 1), (2, 2)",
    )
    deleting_users = (MANIFEST + ATTACHMENTS).replace(
        "  users:\n    columns:", "  users:\n    erase: delete\n    columns:"
    )
    with pytest.raises(PlanRefused) as refused:
        _plan(platform_url, deleting_users)
    assert [str(p) for p in refused.value.problems] == [
        "tables.exports.columns.user_id: 1 row(s) the plan does not delete refer to them (no "
        "delete rule): deleting the person's users rows would fail or take them along"
    ]


def test_a_replay_hashes_what_is_not_hashed_and_leaves_a_hash_as_it_is(platform_url: str) -> None:
    """A plan run again after the platform restored a backup (`skip_hashed`): her e-mail is
    hashed as the first time, and a replay after that finds it hashed and leaves it."""
    engine, _manifest, plan = _plan(platform_url)
    hashed = [(keyed_hash("Kadri@Acme.example", KEY),)]
    execute(engine, plan, hash_key=KEY, skip_hashed=True)
    assert _table(engine, "SELECT email FROM users WHERE id = 1") == hashed
    execute(engine, plan, hash_key=KEY, skip_hashed=True)
    assert _table(engine, "SELECT email FROM users WHERE id = 1") == hashed
    engine.dispose()


def test_each_plan_of_a_run_is_seen_before_it_runs_and_can_stop_it(platform_url: str) -> None:
    """The caller records each group's plan before its first statement (the erasure ledger);
    a record that fails leaves the group as it was."""
    run_script(platform_url, ROWS)
    engine = sa.create_engine(platform_url)
    manifest, live = parse(MANIFEST + ATTACHMENTS), reflect(platform_url)
    seen: list[tuple[list[str], list[tuple[Any, ...]]]] = []

    def recorded(plan: Plan) -> None:
        seen.append(
            ([s.table for s in plan.steps], _table(engine, "SELECT COUNT(*) FROM comments"))
        )
        if len(seen) == 2:
            raise RuntimeError("the ledger is not writable")

    run = erase_many(engine, manifest, live, [KADRI, MART], hash_key=KEY, group=1, on_plan=recorded)
    assert next(run).rows == {"attachments": 1, "comments": 2, "users": 1}
    with pytest.raises(RuntimeError, match="ledger"):
        next(run)
    assert seen == [
        (["attachments", "comments", "users"], [(3,)]),
        (["attachments", "comments", "users"], [(1,)]),
    ]
    assert _table(engine, "SELECT id, full_name FROM users WHERE id = 2") == [(2, "Mart Mets")]
    assert _table(engine, "SELECT id FROM comments") == [(2,)]
    engine.dispose()
