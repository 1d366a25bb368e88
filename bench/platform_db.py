"""Benchmark of the platform connector (issue 23; not `platform.py`, which would shadow the
standard library's `platform` for every script in bench/): finding and erasing people in the
platform's own database by its manifest, against hand-written SQL doing the same.

    python bench/platform_db.py                       # 100 000 users, SQLite file in a temp dir
    python bench/platform_db.py --url postgresql://…  # an empty database of your own
    python bench/platform_db.py --smoke               # tiny, checked (CI)

The database is the demo's platform schema (`processing/databases/demo/`: accounts, users,
projects, comments, time entries, logins) filled with `--users` users and about 12 rows each.
Timed: one person's rows found (`reach.find`), against the hand-written SELECTs; one person
erased, verified by a re-find (plan, execute, refind); `--people` people erased in one run,
against hand-written DELETEs and UPDATEs of the same rows. Prints the figures, the size and the
machine's load; memory as the peak of Python's allocations (tracemalloc).

Goals (issue 23, at 1 000 000 users): one access under 1 s, one erasure certified under 2 s,
10 000 people within 1.5 × of hand-written SQL, memory under 150 MB.
A machine-readable line: `BENCH platform_db key=value …`.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parent.parent)

import sqlalchemy as sa  # noqa: E402

from processing.databases.erase import execute, plan_erasure, refind  # noqa: E402
from processing.databases.manifest import parse  # noqa: E402
from processing.databases.reach import find  # noqa: E402
from processing.databases.schema import reflect  # noqa: E402

DEMO = Path(__file__).resolve().parent.parent / "processing" / "databases" / "demo"
KEY = b"bench-hash-key"
CHUNK = 5000


def build(url: str, users: int, seed: int = 7) -> int:
    """The schema and `users` users with their rows; returns how many rows in all."""
    rng = random.Random(seed)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for statement in (DEMO / "schema.sql").read_text().split(";"):
            body = "\n".join(line for line in statement.splitlines() if not line.startswith("--"))
            if body.strip():
                connection.exec_driver_sql(body)
        metadata = sa.MetaData()
        names = ("accounts", "users", "projects", "comments", "time_entries", "login_events")
        tables = {name: sa.Table(name, metadata, autoload_with=connection) for name in names}
        accounts = max(users // 20, 1)
        rows = [{"id": i, "name": f"Company {i}", "plan": "team"} for i in range(1, accounts + 1)]
        connection.execute(sa.insert(tables["accounts"]), rows)
        rows = [{"id": i, "account_id": i, "title": f"Project {i}"} for i in range(1, accounts + 1)]
        connection.execute(sa.insert(tables["projects"]), rows)
        total = 2 * accounts
        counters = {"comments": 0, "time_entries": 0, "login_events": 0}
        for start in range(1, users + 1, CHUNK):
            ids = range(start, min(start + CHUNK, users + 1))
            batch: dict[str, list[dict[str, Any]]] = {n: [] for n in ("users", *counters)}
            for i in ids:
                account = (i - 1) % accounts + 1
                batch["users"].append(
                    {"id": i, "account_id": account, "email": f"user{i}@company{account}.example",
                     "full_name": f"User {i}", "phone": f"+372 5{i:07d}"}
                )  # fmt: skip
                for table, n in (("comments", 4), ("time_entries", 5), ("login_events", 2)):
                    for _ in range(rng.randint(n - 1, n + 1)):
                        counters[table] += 1
                        row: dict[str, Any] = {"id": counters[table]}
                        if table == "comments":
                            row |= {"project_id": account, "author_id": i, "body": "A comment"}
                        elif table == "time_entries":
                            row |= {"user_id": i, "project_id": account, "minutes": 30, "note": "x"}
                        else:
                            row |= {"user_id": i, "ip_address": "10.0.0.1"}
                        batch[table].append(row)
            for table, rows in batch.items():
                connection.execute(sa.insert(tables[table]), rows)
                total += len(rows)
        for table, column in (("comments", "author_id"), ("time_entries", "user_id"),
                              ("login_events", "user_id")):  # fmt: skip
            connection.exec_driver_sql(f"CREATE INDEX ix_{table}_{column} ON {table} ({column})")
        connection.exec_driver_sql("CREATE INDEX ix_users_email ON users (lower(email))")
    engine.dispose()
    return total


def hand_written_find(connection: sa.Connection, email: str) -> int:
    user = connection.exec_driver_sql(
        "SELECT * FROM users WHERE lower(email) = ?" if connection.dialect.name == "sqlite"
        else "SELECT * FROM users WHERE lower(email) = %s", (email.lower(),)
    ).all()  # fmt: skip
    ids = [row[0] for row in user]
    found = len(user)
    for table, column in (("comments", "author_id"), ("time_entries", "user_id"),
                          ("login_events", "user_id")):  # fmt: skip
        statement = sa.text(f"SELECT * FROM {table} WHERE {column} IN :ids").bindparams(
            sa.bindparam("ids", expanding=True)
        )
        found += len(connection.execute(statement, {"ids": ids}).all())
    return found


def hand_written_erase(engine: sa.Engine, user_ids: list[int]) -> None:
    for start in range(0, len(user_ids), 1000):
        chunk = user_ids[start : start + 1000]
        with engine.begin() as connection:
            for table, column in (("comments", "author_id"), ("login_events", "user_id")):
                statement = sa.text(f"DELETE FROM {table} WHERE {column} IN :ids")
                connection.execute(
                    statement.bindparams(sa.bindparam("ids", expanding=True)), {"ids": chunk}
                )
            statement = sa.text("UPDATE time_entries SET note = NULL WHERE user_id IN :ids")
            connection.execute(
                statement.bindparams(sa.bindparam("ids", expanding=True)), {"ids": chunk}
            )
            statement = sa.text(
                "UPDATE users SET email = 'h' || id, full_name = NULL, phone = NULL "
                "WHERE id IN :ids"
            )
            connection.execute(
                statement.bindparams(sa.bindparam("ids", expanding=True)), {"ids": chunk}
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=1_000, help="erased in one run")
    parser.add_argument("--url", help="an empty database (default: an SQLite file)")
    parser.add_argument("--smoke", action="store_true", help="2 000 users, 100 people")
    args = parser.parse_args()
    if args.smoke:
        args.users, args.people = 2_000, 100
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{Path(folder) / 'platform.sqlite3'}"
        run(url, args.users, args.people)


def run(url: str, users: int, people: int) -> None:
    started = time.perf_counter()
    rows = build(url, users)
    built = time.perf_counter() - started
    manifest = parse((DEMO / "manifest.yaml").read_text())
    live = reflect(url)
    engine = sa.create_engine(url)
    target = f"user{users // 2}@company{(users // 2 - 1) % max(users // 20, 1) + 1}.example"

    with engine.connect() as connection:
        t0 = time.perf_counter()
        found = find(connection, manifest, {"email": [target]})
        access = time.perf_counter() - t0
        t0 = time.perf_counter()
        baseline_found = hand_written_find(connection, target)
        access_sql = time.perf_counter() - t0
    assert found.count() == baseline_found, (found.count(), baseline_found)

    t0 = time.perf_counter()
    with engine.connect() as connection:
        plan = plan_erasure(connection, manifest, live, {"email": [target]})
    execute(engine, plan, hash_key=KEY)
    with engine.connect() as connection:
        left = refind(connection, manifest, {"email": [target]})
    one = time.perf_counter() - t0
    assert left == {}, left

    # `people` people in one run, against the same statements written by hand on others.
    ours = [
        f"user{i}@company{(i - 1) % max(users // 20, 1) + 1}.example" for i in range(1, people + 1)
    ]
    theirs = list(range(people + 1, 2 * people + 1))
    tracemalloc.start()
    t0 = time.perf_counter()
    with engine.connect() as connection:
        plan = plan_erasure(connection, manifest, live, {"email": ours})
    execute(engine, plan, hash_key=KEY)
    many = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    t0 = time.perf_counter()
    hand_written_erase(engine, theirs)
    many_sql = time.perf_counter() - t0
    engine.dispose()

    load = os.getloadavg()[0]
    dialect = sa.engine.make_url(url).get_backend_name()
    print(
        f"platform database ({dialect}): {users} users, {rows} rows, built in {built:.1f} s; "
        f"load {load:.2f}"
    )
    print(
        f"one access: {access * 1000:.1f} ms ({found.count()} rows) vs hand-written SQL "
        f"{access_sql * 1000:.1f} ms"
    )
    print(f"one erasure, planned, carried out and re-found: {one * 1000:.1f} ms")
    print(
        f"{people} people erased in one run: {many:.2f} s vs hand-written SQL {many_sql:.2f} s "
        f"(ratio {many / many_sql:.2f}); peak Python memory {peak:.1f} MB"
    )
    print(
        f"BENCH platform_db users={users} rows={rows} access_ms={access * 1000:.1f} "
        f"access_sql_ms={access_sql * 1000:.1f} erase_one_ms={one * 1000:.1f} people={people} "
        f"erase_many_s={many:.3f} erase_many_sql_s={many_sql:.3f} ratio={many / many_sql:.2f} "
        f"peak_mb={peak:.1f} load={load:.2f} dialect={dialect}"
    )


if __name__ == "__main__":
    main()
