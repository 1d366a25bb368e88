"""Benchmarks cannot rot: every `bench/*.py` runs with `--smoke` here.

The scripts are found by listing `bench/`, so a new benchmark without a working `--smoke`
fails CI the day it lands. Each runs as a real process, as a person would run it, against a
fresh PostgreSQL database of its own: benchmarks TRUNCATE the domain tables, so none may
ever see the test database. Each benchmark gets a copy (`CREATE DATABASE … TEMPLATE`, a file
copy in a second where migrating another database took a minute of CI) of the copy each worker
makes of its test database as `migrate` left it (`tests/db_snapshot.py`), dropped afterwards.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg2
import pytest
from django.db import connection
from psycopg2 import sql

from tests import db_snapshot

ROOT = Path(__file__).resolve().parent.parent
# `bench/_setup.py`, which every benchmark imports first, and `bench/_measure.py` are not.
BENCHMARKS = sorted(path for path in ROOT.glob("bench/*.py") if not path.name.startswith("_"))
# A smoke run is seconds; a minute means the tiny size stopped being tiny.
SMOKE_TIMEOUT_S = 60
# Subprocess environment: the test settings (Celery eager, a local cache) so a benchmark
# neither queues tasks for a developer's worker nor writes into the shared Redis; and no
# crash hook left over from the purge tests.
DROPPED_ENV = ("REDIS_URL", "PRIVACYOPS_PURGE_KILL_AT")
NUMBER = re.compile(r"\d+(\.\d+)?")
# Every figures line says how loaded the machine was (`bench/_measure.py` adds these).
LOAD_KEYS = ("load_before", "load_after", "cpus")
# `ratio`, `ratio_shortest`, `first_page_ratio`: each comes with its baseline's spread.
RATIO_KEY = re.compile(r"(^|_)ratio($|_)")


def summary(stem: str) -> re.Pattern[str]:
    """A benchmark's figures line, as CI reads it: `BENCH <stem> key=value …`."""
    return re.compile(rf"^BENCH {re.escape(stem)}( [a-z0-9_]+=[^\s=]+)+$")


@contextmanager
def server() -> Iterator[Any]:
    """A cursor on the server's maintenance database, outside any transaction: CREATE and
    DROP DATABASE refuse to run in one."""
    settings = connection.settings_dict
    conn = psycopg2.connect(
        dbname="postgres",
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"],
        port=settings["PORT"] or None,
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            yield cursor
    finally:
        conn.close()


def drop(name: str) -> None:
    with server() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextmanager
def fresh_database(name: str, *, template: str | None = None) -> Iterator[str]:
    assert len(name) <= 63, f"{name} is longer than PostgreSQL's 63-character names"
    drop(name)  # left over by an interrupted run
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with server() as cursor:
        cursor.execute(statement)
    try:
        yield name
    finally:
        drop(name)


def environment(database: str) -> dict[str, str]:
    settings = connection.settings_dict
    assert database != settings["NAME"], "a benchmark must never run on the test database"
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    env = {key: value for key, value in os.environ.items() if key not in DROPPED_ENV}
    env["DATABASE_URL"] = (
        f"postgres://{quote(settings['USER'], safe='')}{password}@"
        f"{settings['HOST']}:{settings['PORT'] or 5432}/{database}"
    )
    env["PRIVACYOPS_TESTING"] = "1"
    return env


def run(
    args: list[str], database: str, *, timeout: int = SMOKE_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environment(database),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def migrated_test_database(django_db_setup: None) -> str:
    """The copy of the worker's test database made as `migrate` left it (tests/conftest.py:
    `django_db_setup`), to be copied again for each benchmark."""
    return db_snapshot.copy_name(connection)


def test_the_benchmarks_are_found() -> None:
    assert {script.stem for script in BENCHMARKS} >= {"erasure", "purge", "report", "request_queue"}


def test_no_module_in_bench_shadows_the_standard_library() -> None:
    # A script's folder comes first on its path until `_setup` replaces it: a
    # `bench/platform.py` broke every benchmark that imported the standard `platform`.
    names = {path.stem for path in ROOT.glob("bench/*.py")}
    assert not names & set(sys.stdlib_module_names)


@pytest.mark.postgres
# The worker's test database must be made (with its copy as made).
@pytest.mark.django_db
@pytest.mark.parametrize("script", BENCHMARKS, ids=[script.stem for script in BENCHMARKS])
def test_every_benchmark_runs_its_smoke_size_and_prints_its_figures(
    script: Path, migrated_test_database: str
) -> None:
    started = time.monotonic()
    with fresh_database(
        f"{migrated_test_database}_bench_{script.stem}", template=migrated_test_database
    ) as database:
        done = run([str(script.relative_to(ROOT)), "--smoke"], database)
    output = f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    # At --smoke size a ratio refused for its baseline's spread still exits 0 (bench/_measure.py).
    assert done.returncode == 0, output
    lines = [line for line in done.stdout.splitlines() if summary(script.stem).match(line)]
    assert lines, f"no line `BENCH {script.stem} key=value …`\n{output}"
    for line in lines:
        figures = {key: value for key, _, value in (p.partition("=") for p in line.split()[2:])}
        assert any(NUMBER.fullmatch(value) for value in figures.values()), line
        for key in LOAD_KEYS:
            assert NUMBER.fullmatch(figures.get(key, "")), f"no {key}=<number> in\n{line}"
        ratios = [key for key in figures if RATIO_KEY.search(key)]
        spreads = [key for key in figures if key.endswith("baseline_spread_pct")]
        assert len(spreads) == len(ratios), f"a ratio without its baseline's spread:\n{line}"
        for key in ratios:
            assert NUMBER.fullmatch(figures[key]) or figures[key] == "refused", line
    print(f"{script.stem} --smoke: {time.monotonic() - started:.1f} s")
