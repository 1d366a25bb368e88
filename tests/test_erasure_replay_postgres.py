"""Erasures replayed on real PostgreSQL: dump the database, erase one person on request and let
the purge anonymise another, restore the dump with pg_restore (which brings both back and
rolls the database's ledger back with them), replay from the ledger's copy: both end erased,
and a second replay does nothing. And the database itself refuses to change the ledger."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from core.timeutil import legal_today
from retention.models import ErasureEntry
from retention.services.purge import run_purge
from subjects.models import DataSubject
from subjects.services import erase_subjects
from tests import factories as f
from tests.backups import Backup

pytestmark = pytest.mark.postgres

LONG_AGO = dt.datetime(2020, 1, 5, 12, tzinfo=dt.UTC)


def replay(ledger_dir: Path) -> dict[str, Any]:
    out = io.StringIO()
    call_command(
        "replay_erasures",
        "--since",
        legal_today().isoformat(),
        "--from-file",
        str(ledger_dir),
        "--json",
        stdout=out,
    )
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


@pytest.mark.django_db(transaction=True)
def test_erasures_made_after_a_dump_are_made_again_after_pg_restore(
    seeded: None, dpo: User, erasure_ledger_dir: Path, tmp_path: Path
) -> None:
    asked = f.DataSubjectFactory.create(first_name="Kadri", work_email="kadri@acme.example")
    expired = f.ProspectFactory.create(collected_at=LONG_AGO, first_name="Mari")
    f.CommunicationFactory.create(subject=expired, sent_at=LONG_AGO, body="Call me back")
    backup = Backup(tmp_path)  # pg_dump

    erase_subjects(subject_ids=[asked.pk], actor=dpo, reason="GDPR Art. 17")
    run = run_purge(as_of=legal_today(), dry_run=False, actor="test")
    assert run.status == "succeeded", run.note
    erased = {
        p.pk: p.anonymised_at for p in DataSubject.objects.filter(anonymised_at__isnull=False)
    }
    assert {p.first_name for p in DataSubject.objects.filter(pk__in=erased)} == {""}
    assert set(erased) == {asked.pk, expired.pk}
    entries = sorted(ErasureEntry.objects.values_list("uuid", flat=True))
    assert len(entries) == 2

    backup.restore()  # pg_restore --clean
    people = DataSubject.objects.filter(pk__in=erased)
    assert sorted(people.values_list("first_name", flat=True)) == ["Kadri", "Mari"]
    assert not ErasureEntry.objects.exists()

    first = replay(erasure_ledger_dir)
    assert (first["entries"], first["redone"], first["stored_again"]) == (2, 2, 2)
    assert {p.pk: p.anonymised_at for p in people} == erased
    assert set(people.values_list("first_name", "work_email")) == {("", None)}
    assert not DataSubject.objects.with_email("kadri@acme.example").exists()
    assert sorted(ErasureEntry.objects.values_list("uuid", flat=True)) == entries

    second = replay(erasure_ledger_dir)
    assert (second["entries"], second["redone"], second["needed_nothing"]) == (2, 0, 2)
    assert second["stored_again"] == 0


def _refused(statement: str) -> str:
    with (
        pytest.raises(DatabaseError) as refusal,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    return str(refusal.value)


@pytest.mark.django_db
def test_the_database_refuses_to_change_or_remove_ledger_entries(seeded: None) -> None:
    person = f.DataSubjectFactory.create()
    erase_subjects(subject_ids=[person.pk], actor="test", reason="GDPR Art. 17")
    refusals: list[Callable[[], str]] = [
        lambda: _refused("UPDATE retention_erasureentry SET object_ids = ',1,'"),
        lambda: _refused("DELETE FROM retention_erasureentry"),
        lambda: _refused("TRUNCATE retention_erasureentry"),
    ]
    for refused in refusals:
        assert "retention_erasureentry is append-only" in refused()
    assert ErasureEntry.objects.get().ids == [person.pk]
