"""Benchmark of the platform connector (not `platform.py`, which would shadow the
standard library's `platform` for every script in bench/): finding and erasing people in the
platform's own database by its manifest, against hand-written SQL doing the same.

    python bench/platform_db.py                                  # 100 000 users, SQLite file
    python bench/platform_db.py --users 1000000 --people 10000 \\
        --url postgresql://postgres@127.0.0.1:5432/EMPTY_DB        # the issue's size
    python bench/platform_db.py --smoke                          # tiny, checked (CI)

The database: the demo's platform schema (`processing/databases/demo/`: accounts, users,
projects, comments, time entries, logins) and four tables more (attachments on comments,
notifications, project memberships, sessions) — 10 tables, about 20 rows per user (20 M rows
at 1 M users), a person's rows scattered over each table as time would scatter them. Generated
set-based (`INSERT … SELECT` over `generate_series`, a recursive CTE on SQLite), the platform's
indexes built and, on PostgreSQL, its foreign keys added after the load.

Timed, each against hand-written SQL in the same run:
- one person's access as a task makes it (connect, reflect, `reach.find`), median of 5, against
  the hand-written SELECTs;
- one person erased as a task does it: the live schema read, planned, carried out, looked for
  again and the certificate written (median of 5);
- `--people` people erased in one run (`erase.erase_many`, `--group` people per plan, each
  group re-found), against the same statements written by hand (the ratio the goal is about)
  and against the shortest hand-written erasure (DELETE … WHERE user_id IN …, no plan), one
  group of each in turn, so that the machine's load weighs on all three alike. Each group of
  a baseline is one of its runs (at least three): a ratio (seconds per person over the
  baseline's median group) is refused when they spread over 20 % (`bench/_measure.py`).
Memory: the process's peak RSS, and its RSS after the first and the last group (flat means
alike). Prints the figures, the size and the machine's load at the start and the end.

Goals (at 1 000 000 users): one access under 1 s, one erasure certified under 2 s,
10 000 people within 1.5 × of hand-written SQL, memory under 150 MB.
A machine-readable line: `BENCH platform_db key=value …`.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import _setup  # noqa: F401  (first: the project root on sys.path, Django set up)
import sqlalchemy as sa
import yaml
from _measure import MIN_BASELINE_RUNS, Bench

from processing.databases.bulk import GROUP, erase_many
from processing.databases.erase import DELETE, KEEP, Plan, plan_erasure, refind
from processing.databases.manifest import Manifest, parse
from processing.databases.reach import CHUNK, find
from processing.databases.schema import engine_for, reflect
from processing.databases.statements import execute

DEMO = Path(__file__).resolve().parent.parent / "processing" / "databases" / "demo"
KEY = b"bench-hash-key"
REPEAT = 5  # people timed one by one: the median, the load being another engineer's too
BATCH = 1000  # keys per DELETE or UPDATE, as `erase.BATCH`

MORE_TABLES = """
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY, comment_id INTEGER NOT NULL REFERENCES comments(id),
    file_name VARCHAR(200), size_bytes INTEGER
);
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
    kind VARCHAR(40) NOT NULL, body TEXT, read_at TIMESTAMP
);
CREATE TABLE memberships (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
    project_id INTEGER NOT NULL REFERENCES projects(id), role VARCHAR(20) NOT NULL
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
    user_agent VARCHAR(300), created_at TIMESTAMP
)
"""
MORE_MANIFEST = """
attachments:
  erase: delete
  columns:
    id: not personal
    comment_id: {references: comments.id}
    file_name: {category: communication}
    size_bytes: not personal
notifications:
  erase: delete
  columns:
    id: not personal
    user_id: {references: users.id}
    kind: not personal
    body: {category: communication}
    read_at: {category: usage}
memberships:
  erase: delete
  columns:
    id: not personal
    user_id: {references: users.id}
    project_id: {references: projects.id}
    role: not personal
sessions:
  erase: delete
  columns:
    id: not personal
    user_id: {references: users.id}
    user_agent: {category: usage}
    created_at: not personal
"""
# Where a person's rows are, for the hand-written SQL: (table, the column naming the user).
BY_USER = (
    ("comments", "author_id"),
    ("time_entries", "user_id"),
    ("login_events", "user_id"),
    ("notifications", "user_id"),
    ("memberships", "user_id"),
    ("sessions", "user_id"),
)
DELETED_BY_USER = ("login_events", "memberships", "notifications", "sessions")
TABLES = ("accounts", "projects", "users", *(t for t, _c in BY_USER), "attachments")


def manifest() -> Manifest:
    document = yaml.safe_load((DEMO / "manifest.yaml").read_text())
    document["tables"] |= yaml.safe_load(MORE_MANIFEST)
    return parse(yaml.safe_dump(document, sort_keys=False))


def accounts_of(users: int) -> int:
    return max(users // 20, 1)


def email_of(user: int, users: int) -> str:
    return f"user{user}@company{(user - 1) % accounts_of(users) + 1}.example"


def scattered(n: int, salt: int) -> str:
    """A user id in 1…n for row `j`, spread as a multiplicative hash spreads it: a person's
    rows far apart, some people with none, as years of use leave them."""
    return f"((CAST(j AS BIGINT) * {salt}) % 4294967296) % {n} + 1"


def build(url: str, users: int) -> int:
    """The schema and `users` users with their rows, set-based; returns how many rows."""
    engine = engine_for(url)
    postgres = engine.dialect.name == "postgresql"
    a = accounts_of(users)
    when = "TIMESTAMP '2025-03-01 09:30:00'" if postgres else "'2025-03-01 09:30:00'"
    author = scattered(users, 2654435761)
    fills: list[tuple[str, int, dict[str, str]]] = [
        ("accounts", a, {"id": "j", "name": "'Company ' || j", "plan": "'team'"}),
        ("projects", 2 * a, {"id": "j", "account_id": f"(j - 1) % {a} + 1",
                             "title": "'Project ' || j"}),
        ("users", users, {
            "id": "j", "account_id": f"(j - 1) % {a} + 1",
            "email": f"'user' || j || '@company' || ((j - 1) % {a} + 1) || '.example'",
            "full_name": "'User ' || j", "phone": "'+372 ' || (50000000 + j)", "created_at": when,
        }),
        ("comments", 4 * users, {"id": "j", "author_id": author,
                                 "project_id": f"({author} - 1) % {a} + 1",
                                 "body": "'A comment on the plan'", "created_at": when}),
        ("attachments", users, {"id": "j", "comment_id": scattered(4 * users, 2246822519),
                                "file_name": "'file' || j || '.pdf'", "size_bytes": "j % 100000"}),
        ("time_entries", 5 * users, {"id": "j", "user_id": scattered(users, 3266489917),
                                     "project_id": f"j % {a} + 1", "minutes": "30",
                                     "note": "'Worked on it'"}),
        ("login_events", 4 * users, {"id": "j", "user_id": scattered(users, 668265263),
                                     "ip_address": "'10.0.' || (j % 250) || '.' || (j % 200)",
                                     "created_at": when}),
        ("notifications", 3 * users, {"id": "j", "user_id": scattered(users, 374761393),
                                      "kind": "'mention'", "body": "'You were mentioned'"}),
        ("memberships", users, {"id": "j", "user_id": "j", "project_id": f"(j - 1) % {a} + 1",
                                "role": "'member'"}),
        ("sessions", users, {"id": "j", "user_id": scattered(users, 2654435769),
                             "user_agent": "'Mozilla/5.0 (X11; Linux x86_64)'",
                             "created_at": when}),
    ]  # fmt: skip
    with engine.begin() as connection:
        if sa.inspect(connection).get_table_names():
            raise SystemExit(f"{_shown(url)} is not empty: give an empty database")
        for statement in ((DEMO / "schema.sql").read_text() + ";" + MORE_TABLES).split(";"):
            body = "\n".join(line for line in statement.splitlines() if not line.startswith("--"))
            if body.strip():
                connection.exec_driver_sql(body)
        # A foreign key is checked by a trigger per row loaded; added after the load, in one
        # pass over the table.
        keys = _drop_foreign_keys(connection) if postgres else []
        if postgres:
            connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        for table, n, columns in fills:
            names, values = ", ".join(columns), ", ".join(columns.values())
            connection.exec_driver_sql(
                # psycopg2 reads `%` as a parameter's mark: `%%` is the modulo.
                f"INSERT INTO {table} ({names}) SELECT {values.replace('%', '%%')} "
                f"FROM generate_series(1, {n}) g(j)"
                if postgres
                else f"WITH RECURSIVE g(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM g "
                f"WHERE j < {n}) INSERT INTO {table} ({names}) SELECT {values} FROM g"
            )
        for table, column in (*BY_USER, ("attachments", "comment_id")):
            connection.exec_driver_sql(f"CREATE INDEX ix_{table}_{column} ON {table} ({column})")
        connection.exec_driver_sql("CREATE INDEX ix_users_email ON users (lower(email))")
        for table, name, definition in keys:
            connection.exec_driver_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE" if postgres else "ANALYZE")
    engine.dispose()
    return sum(n for _t, n, _c in fills)


def _drop_foreign_keys(connection: sa.Connection) -> list[tuple[str, str, str]]:
    keys = connection.exec_driver_sql(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE c.contype = 'f' AND n.nspname = current_schema()"
    ).all()
    for table, name, _definition in keys:
        connection.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return [(table, name, definition) for table, name, definition in keys]


def counted(url: str) -> int:
    engine = engine_for(url)
    with engine.connect() as connection:
        rows = sum(
            connection.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one()
            for table in TABLES
        )
    engine.dispose()
    return int(rows)


# --- hand-written SQL ---------------------------------------------------------------------


class Sql:
    """Hand-written statements, sent through the driver as they are (placeholders by hand)."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.mark = "%s" if self.postgres else "?"

    def marks(self, n: int) -> str:
        return ", ".join([self.mark] * n)

    def rows(self, sql: str, values: Sequence[Any] = ()) -> list[Any]:
        return list(self.connection.exec_driver_sql(sql, tuple(values)).all())

    def run(self, sql: str, values: Sequence[Any] = ()) -> int:
        return int(self.connection.exec_driver_sql(sql, tuple(values)).rowcount)

    def hash_users(self, rows: Sequence[Any]) -> int:
        """The users' e-mails replaced by their keyed hash, their name and phone cleared."""
        hashed = [(row[0], _hash(row[1])) for row in rows]
        if not hashed:
            return 0
        if self.postgres:
            return self.run(
                "UPDATE users SET full_name = NULL, phone = NULL, email = v.h "
                "FROM unnest(CAST(%s AS INTEGER[]), CAST(%s AS VARCHAR(254)[])) AS v(k, h) "
                "WHERE users.id = v.k",
                [[k for k, _h in hashed], [h for _k, h in hashed]],
            )
        return int(
            self.connection.exec_driver_sql(
                "UPDATE users SET full_name = NULL, phone = NULL, email = ? WHERE id = ?",
                [(h, k) for k, h in hashed],
            ).rowcount
        )


def _hash(value: str) -> str:
    return hmac.new(KEY, value.encode(), hashlib.sha256).hexdigest()


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def by_hand_find(connection: sa.Connection, email: str) -> int:
    sql = Sql(connection)
    users = sql.rows(f"SELECT * FROM users WHERE lower(email) = {sql.mark}", [email.lower()])
    ids = [row[0] for row in users]
    found = len(users)
    comments: list[Any] = []
    for table, column in BY_USER:
        if ids:
            rows = sql.rows(f"SELECT * FROM {table} WHERE {column} IN ({sql.marks(len(ids))})", ids)
            found += len(rows)
            comments += rows if table == "comments" else []
    if comments:
        ids = [row[0] for row in comments]
        found += len(
            sql.rows(f"SELECT * FROM attachments WHERE comment_id IN ({sql.marks(len(ids))})", ids)
        )
    return found


def by_hand_same_statements(engine: sa.Engine, emails: Sequence[str]) -> None:
    """What `erase_many` sends for a group, written by hand: in one transaction the people's
    rows found (keys, and the columns references use), changed, and deleted children first,
    in batches; then, committed, looked for again."""
    with engine.begin() as connection:
        sql = Sql(connection)
        users: list[Any] = []
        for chunk in _chunks([e.lower() for e in emails]):
            users += sql.rows(
                f"SELECT id FROM users WHERE lower(email) IN ({sql.marks(len(chunk))})", chunk
            )
        ids = [row[0] for row in users]
        keys: dict[str, list[Any]] = {}
        for table, column in BY_USER:
            keys[table] = []
            for chunk in _chunks(ids):
                keys[table] += sql.rows(
                    f"SELECT id, {column} FROM {table} WHERE {column} IN ({sql.marks(len(chunk))})",
                    chunk,
                )
        comments = sorted({row[0] for row in keys["comments"]})
        keys["attachments"] = []
        for chunk in _chunks(comments):
            keys["attachments"] += sql.rows(
                f"SELECT id, comment_id FROM attachments WHERE comment_id IN "
                f"({sql.marks(len(chunk))})",
                chunk,
            )
        for batch in _chunks([row[0] for row in keys["time_entries"]], BATCH):
            sql.run(
                f"UPDATE time_entries SET note = NULL WHERE id IN ({sql.marks(len(batch))})", batch
            )
        for table in ("attachments", "comments", *DELETED_BY_USER):
            for batch in _chunks([row[0] for row in keys[table]], BATCH):
                sql.run(f"DELETE FROM {table} WHERE id IN ({sql.marks(len(batch))})", batch)
        for batch in _chunks(ids, BATCH):
            sql.hash_users(
                sql.rows(
                    f"SELECT id, email FROM users WHERE id IN ({sql.marks(len(batch))})", batch
                )
            )
    with engine.connect() as connection:
        sql = Sql(connection)
        for chunk in _chunks([e.lower() for e in emails]):
            assert not sql.rows(
                f"SELECT * FROM users WHERE lower(email) IN ({sql.marks(len(chunk))})", chunk
            )


def by_hand_shortest(engine: sa.Engine, emails: Sequence[str]) -> None:
    """The shortest hand-written erasure: one transaction, rows deleted by the user's key."""
    with engine.begin() as connection:
        sql = Sql(connection)
        users: list[Any] = []
        for chunk in _chunks([e.lower() for e in emails]):
            users += sql.rows(
                f"SELECT id, email FROM users WHERE lower(email) IN ({sql.marks(len(chunk))})",
                chunk,
            )
        ids = [row[0] for row in users]
        for chunk in _chunks(ids):
            marks = sql.marks(len(chunk))
            sql.run(
                "DELETE FROM attachments WHERE comment_id IN "
                f"(SELECT id FROM comments WHERE author_id IN ({marks}))",
                chunk,
            )
            sql.run(f"DELETE FROM comments WHERE author_id IN ({marks})", chunk)
            for table in DELETED_BY_USER:
                sql.run(f"DELETE FROM {table} WHERE user_id IN ({marks})", chunk)
            sql.run(f"UPDATE time_entries SET note = NULL WHERE user_id IN ({marks})", chunk)
        sql.hash_users(users)


def residue(engine: sa.Engine, ids: Sequence[int]) -> int:
    """Rows of these users still holding something of theirs."""
    left = 0
    with engine.connect() as connection:
        sql = Sql(connection)
        for chunk in _chunks(list(ids)):
            marks = sql.marks(len(chunk))
            for table, column in BY_USER:
                note = " AND note IS NOT NULL" if table == "time_entries" else ""
                left += sql.rows(
                    f"SELECT COUNT(*) FROM {table} WHERE {column} IN ({marks}){note}", chunk
                )[0][0]
            left += sql.rows(
                f"SELECT COUNT(*) FROM users WHERE id IN ({marks}) AND full_name IS NOT NULL",
                chunk,
            )[0][0]
    return int(left)


# --- the engine, as the portal's tasks use it -----------------------------------------------


def access(url: str, manifest: Manifest, email: str) -> int:
    engine = engine_for(url)
    with engine.connect() as connection:
        found = find(connection, manifest, {"email": [email]})
    engine.dispose()
    return found.count()


def erase_one(url: str, manifest: Manifest, email: str) -> str:
    engine = engine_for(url)
    live = reflect(url)
    with engine.connect() as connection:
        plan = plan_erasure(connection, manifest, live, {"email": [email]})
    execute(engine, plan, hash_key=KEY)
    with engine.connect() as connection:
        left = refind(connection, manifest, {"email": [email]})
    engine.dispose()
    assert left == {}, left
    return certificate(plan)


def certificate(plan: Plan) -> str:
    lines = []
    for step in plan.steps:
        done = {DELETE: "deleted", KEEP: f"kept: {step.reason}"}.get(step.action, "changed")
        lines.append(f"- {step.table}: {len(step.keys)} row(s) {done}")
    return "\n".join([*lines, "Looked for again by every identity: nothing identifying found."])


def rss_mb() -> float:
    """The process's resident memory now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return peak_rss_mb()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Finding and erasing people in a platform database by its manifest, "
        "against hand-written SQL (the goals: 1 000 000 users, 10 000 people)."
    )
    parser.add_argument("--users", type=int, default=100_000, help="about 20 rows each")
    parser.add_argument("--people", type=int, default=1_000, help="erased in one run")
    parser.add_argument("--group", type=int, default=GROUP, help="people per plan")
    parser.add_argument("--url", help="an empty database (default: an SQLite file)")
    parser.add_argument(
        "--existing",
        action="store_true",
        help="the database at --url already holds a built, unused copy of --users users "
        "(say, CREATE DATABASE … TEMPLATE of one): not built again",
    )
    parser.add_argument("--smoke", action="store_true", help="2 000 users, 100 people")
    args = parser.parse_args()
    if args.smoke:
        args.users, args.people, args.group = 2_000, 100, 25
    if args.existing and not args.url:
        parser.error("--existing needs --url: the database built before")
    if args.users < 3 * args.people + 2 * REPEAT:
        parser.error("--users must be at least 3 × --people + 10: each run erases other people")
    if -(-args.people // args.group) < MIN_BASELINE_RUNS:
        parser.error(f"--people must fill {MIN_BASELINE_RUNS} groups: the baselines' runs")
    bench = Bench("platform_db", smoke=args.smoke)
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{Path(folder) / 'platform.sqlite3'}"
        run(bench, url, args.users, args.people, args.group, existing=args.existing)
    bench.finish()


def run(bench: Bench, url: str, users: int, people: int, group: int, *, existing: bool) -> None:
    started = time.perf_counter()
    rows = counted(url) if existing else build(url, users)
    built = time.perf_counter() - started
    the_manifest = manifest()
    rng = random.Random(23)
    chosen = rng.sample(range(1, users + 1), 3 * people + 2 * REPEAT)
    looked_up, erased_alone = chosen[:REPEAT], chosen[REPEAT : 2 * REPEAT]
    ours, same, shortest = (chosen[2 * REPEAT + i * people :][:people] for i in range(3))

    timings: list[float] = []
    by_hand: list[float] = []
    engine = engine_for(url)
    for user in looked_up:
        email = email_of(user, users).upper()  # any case finds the person
        t0 = time.perf_counter()
        found = access(url, the_manifest, email)
        timings.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with engine.connect() as connection:
            expected = by_hand_find(connection, email)
        by_hand.append(time.perf_counter() - t0)
        assert found == expected, (found, expected)
    access_s, access_sql_s = statistics.median(timings), statistics.median(by_hand)

    timings = []
    for user in erased_alone:
        t0 = time.perf_counter()
        erase_one(url, the_manifest, email_of(user, users))
        timings.append(time.perf_counter() - t0)
    one_s = statistics.median(timings)
    assert residue(engine, erased_alone) == 0

    # The three runs by group in turn: a burst of someone else's load weighs on all of them.
    peak_before = peak_rss_mb()
    t0 = time.perf_counter()
    groups = erase_many(
        engine, the_manifest, reflect(url), ({"email": [email_of(u, users)]} for u in ours),
        hash_key=KEY, group=group,
    )  # fmt: skip
    many = time.perf_counter() - t0
    after_groups: list[float] = []
    # Each baseline's seconds and people, group by group: its runs.
    same_runs: list[tuple[float, int]] = []
    shortest_runs: list[tuple[float, int]] = []
    for start in range(0, people, group):
        t0 = time.perf_counter()
        done = next(groups)
        many += time.perf_counter() - t0
        assert done.left == {} and done.refused == {}, (done.left, done.refused)
        after_groups.append(rss_mb())
        for targets, by_hand_erasure, runs in (
            (same, by_hand_same_statements, same_runs),
            (shortest, by_hand_shortest, shortest_runs),
        ):
            emails = [email_of(u, users) for u in targets[start : start + group]]
            t0 = time.perf_counter()
            by_hand_erasure(engine, emails)
            runs.append((time.perf_counter() - t0, len(emails)))
    assert next(groups, None) is None
    peak = peak_rss_mb()
    for erased in (ours, same, shortest):
        assert residue(engine, erased) == 0
    engine.dispose()

    dialect = sa.engine.make_url(url).get_backend_name()
    ratio = bench.ratio(many / people, [s / n for s, n in same_runs])
    ratio_shortest = bench.ratio(
        many / people, [s / n for s, n in shortest_runs], name="ratio_shortest"
    )
    many_same, many_shortest = (sum(s for s, _ in runs) for runs in (same_runs, shortest_runs))
    print(
        f"platform database ({dialect}): {users} users, {rows} rows in {len(TABLES)} tables, "
        f"{'counted' if existing else 'built'} in {built:.1f} s; {os.cpu_count()} cores"
    )
    print(
        f"one access (connect, reflect, find; median of {REPEAT}): {access_s * 1000:.1f} ms "
        f"({found} rows) vs hand-written SQL {access_sql_s * 1000:.1f} ms (goal: under 1 s)"
    )
    print(
        f"one erasure (schema read, planned, carried out, re-found, certified; median of "
        f"{REPEAT}): {one_s * 1000:.1f} ms (goal: under 2 s)"
    )
    print(
        f"{people} people erased in one run ({group} per plan): {many:.2f} s vs the same "
        f"statements by hand {many_same:.2f} s (ratio {ratio}, goal under 1.5; the groups "
        f"spread {ratio.spread_pct:.1f} %); vs the shortest by hand (by user key, no plan) "
        f"{many_shortest:.2f} s (ratio {ratio_shortest}, spread {ratio_shortest.spread_pct:.1f} %)"
    )
    print(
        f"memory: peak RSS {peak:.0f} MB ({peak_before:.0f} MB before the run; "
        f"{after_groups[0]:.0f} MB after its first group, {after_groups[-1]:.0f} MB after "
        f"the last) (goal: under 150 MB)"
    )
    bench.line(
        users=users,
        rows=rows,
        access_ms=f"{access_s * 1000:.1f}",
        access_sql_ms=f"{access_sql_s * 1000:.1f}",
        erase_one_ms=f"{one_s * 1000:.1f}",
        people=people,
        group=group,
        erase_many_s=f"{many:.3f}",
        erase_many_sql_s=f"{many_same:.3f}",
        **ratio.figures(),
        erase_many_shortest_s=f"{many_shortest:.3f}",
        **ratio_shortest.figures("ratio_shortest", "shortest_baseline_spread_pct"),
        peak_rss_mb=f"{peak:.0f}",
        rss_first_group_mb=f"{after_groups[0]:.0f}",
        rss_last_group_mb=f"{after_groups[-1]:.0f}",
        dialect=dialect,
    )


def _shown(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    main()
