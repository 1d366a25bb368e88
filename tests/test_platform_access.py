"""The engine: a person's rows in the platform's database, found from
their identities through the manifest's references — only theirs: their comment on someone
else's project is theirs, the project and the colleague's comment are not. On SQLite here and
on PostgreSQL where CI gives one."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa

from processing.databases.manifest import parse
from processing.databases.reach import CHUNK, find, identities_of
from processing.databases.schema import Unreachable, engine_for, reflect
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


def test_many_people_are_found_together_in_chunks(platform_url: str) -> None:
    """Two thousand e-mails at once (a run over many people): no statement binds more values
    than every database takes (SQLite's default was 999)."""
    run_script(platform_url, ROWS)
    emails = [f"someone{i}@acme.example" for i in range(2_000)]
    engine = sa.create_engine(platform_url)
    bound: list[int] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: bound.append(len(a[3])))
    with engine.connect() as connection:
        found = find(
            connection,
            parse(MANIFEST + ATTACHMENTS),
            {"email": [*emails, "KADRI@acme.example", "mart@acme.example"]},
        )
    engine.dispose()
    ids = {table: sorted(row["id"] for row in rows) for table, rows in found.rows.items()}
    assert ids == {"users": [1, 2], "comments": [1, 2, 3], "attachments": [1, 2]}
    assert max(bound) <= CHUNK < 999


def _unreachable_within(seconds: float, attempt: Any) -> str:
    """The message `attempt` fails with, asserted to come within `seconds` (in a thread: a
    connection without a timeout would hang the suite, not fail it)."""
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            attempt()
        except BaseException as exc:  # the outcome is the test's, whatever it is
            outcome.append(exc)

    started = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still connecting after {seconds} s"
    assert time.monotonic() - started < seconds
    assert len(outcome) == 1 and isinstance(outcome[0], Unreachable), outcome
    return str(outcome[0])


def test_a_database_nobody_listens_for_is_unreachable_at_once_without_its_password() -> None:
    url = "postgresql://portal:s3cret-pass@127.0.0.1:1/platform"
    for attempt in (lambda: reflect(url), lambda: engine_for(url).connect()):
        message = _unreachable_within(5, attempt)
        assert 'connection to server at "127.0.0.1", port 1 failed: Connection refused' in message
        assert "s3cret" not in message


def test_a_server_that_never_answers_is_given_up_after_the_timeout() -> None:
    """A host that takes the connection and says nothing (a firewall, a hung server): given up
    after the timeout, not the operating system's minutes or never."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"postgresql://portal:s3cret-pass@127.0.0.1:{silent.getsockname()[1]}/platform"
        for attempt in (
            lambda: reflect(url, timeout=2),
            lambda: engine_for(url, timeout=2).connect(),
        ):
            message = _unreachable_within(8, attempt)
            assert "timeout expired" in message and "s3cret" not in message
