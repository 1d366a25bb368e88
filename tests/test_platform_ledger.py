"""An erasure the portal carries out in a platform database is on the record: an entry of the
erasure ledger (and its copy outside the portal's database) made before its first statement,
holding the plan and no value of the person, named by the certificate; after that database is
restored from a backup taken before it, `manage.py replay_platform_erasures` makes it again —
the same keyed hashes, nothing twice — and checks that it left nothing behind."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditEvent
from core.timeutil import legal_today
from processing.models import System
from retention.ledger import read_copy
from retention.models import ErasureEntry
from subject_requests.choices import Operation, TaskStatus
from subject_requests.models import SystemTask
from tests.test_platform_requests import kadri, platform, rows  # noqa: F401 (a fixture)
from tests.test_system_tasks import erase, request_for

pytestmark = pytest.mark.django_db

KADRI = "SELECT id, email, full_name FROM users ORDER BY id"


def erased(system: System, dpo: Any, capture: Any) -> SystemTask:
    request = request_for(kadri(), dpo, "erasure")
    erase(request, dpo, capture)
    task = SystemTask.objects.get(system=system, operation=Operation.ERASE)
    assert task.status == TaskStatus.DONE, task.last_error
    return task


def test_the_erasure_is_in_the_ledger_and_its_copy_with_its_plan_and_no_value(
    platform: System,  # noqa: F811
    dpo: Any,
    erasure_ledger_dir: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    task = erased(platform, dpo, django_capture_on_commit_callbacks)
    entry = ErasureEntry.objects.get(source="platform")
    assert entry.details is not None and entry.details["system"] == platform.pk
    plan = {step["table"]: step for step in entry.details["plan"]}
    assert plan["comments"]["action"] == "delete" and sorted(plan["comments"]["keys"]) == [[1], [3]]
    assert plan["users"]["columns"] == {"email": "hash", "full_name": "clear"}
    assert "Kadri" not in json.dumps(entry.details).lower() + entry.reason.lower()
    assert entry.ids == [task.pk]
    assert f"erasure ledger as entry {entry.uuid}" in task.evidence
    assert "on the instruction of" in task.evidence
    copied = read_copy(erasure_ledger_dir, since=legal_today()).entries
    assert [c.details for c in copied if c.uuid == entry.uuid] == [entry.details]
    # The portal's own replay leaves it to the platform's: nothing refused, nothing redone.
    out = io.StringIO()
    call_command("replay_erasures", "--since", legal_today().isoformat(), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["refused"] == [] and report["redone"] == 0


def test_a_restore_of_the_platform_s_backup_is_followed_by_the_replay(
    platform: System,  # noqa: F811
    platform_url: str,
    dpo: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    database = Path(platform_url.removeprefix("sqlite:///"))
    backup = tmp_path / "backup.sqlite3"
    shutil.copy(database, backup)  # the platform's nightly backup, before the erasure
    erased(platform, dpo, django_capture_on_commit_callbacks)
    after = rows(platform_url, KADRI)
    assert rows(platform_url, "SELECT id FROM comments") == [(2,)]

    shutil.copy(backup, database)  # the platform restores it: Kadri is back
    assert rows(platform_url, "SELECT id FROM comments") == [(1,), (2,), (3,)]
    out = io.StringIO()
    call_command(
        "replay_platform_erasures",
        str(platform.pk),
        "--since",
        legal_today().isoformat(),
        stdout=out,
    )
    assert "checked: nothing left" in out.getvalue()
    assert "1 erasure(s) since" in out.getvalue()
    assert rows(platform_url, KADRI) == after  # the same hashes as the first time
    assert rows(platform_url, "SELECT id FROM comments") == [(2,)]
    assert rows(platform_url, "SELECT id FROM attachments") == [(2,)]
    # A second replay finds it done: the hash is not hashed again.
    call_command("replay_platform_erasures", str(platform.pk), "--since", legal_today().isoformat())
    assert rows(platform_url, KADRI) == after
    assert AuditEvent.objects.filter(action="processing.platform_erasures_replayed").count() == 2


def test_a_replay_that_cannot_make_the_erasure_whole_says_so(
    platform: System,  # noqa: F811
    platform_url: str,
    dpo: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    erased(platform, dpo, django_capture_on_commit_callbacks)
    # A trigger the restored database brought back writes the name again on every change.
    engine = sa.create_engine(platform_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE users SET full_name = 'Kadri Kask' WHERE id = 1")
        connection.exec_driver_sql(
            "CREATE TRIGGER keep_name AFTER UPDATE ON users WHEN NEW.full_name IS NULL BEGIN "
            "UPDATE users SET full_name = 'Kadri Kask' WHERE id = NEW.id; END"
        )
    engine.dispose()
    with pytest.raises(CommandError, match="left rows behind"):
        call_command(
            "replay_platform_erasures",
            str(platform.pk),
            "--since",
            legal_today().isoformat(),
            stdout=io.StringIO(),
        )


def test_people_the_purge_removes_are_erased_from_the_platform_in_one_run(
    seeded: None,
    staff: Any,
    platform_url: str,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Expired prospects who are also in the platform's database: each purge batch writes down
    how the platform finds them before they are erased, and the rule's end erases them all
    there in one run, certified, in the ledger, the identities gone from the task after."""
    import datetime as dt

    from django.utils import timezone

    from retention.services import run_purge
    from subjects.models import DataSubject
    from tests import factories as f
    from tests.platform_db import ATTACHMENTS, MANIFEST, ROWS, run_script

    System.objects.update(active=False)
    run_script(platform_url, ROWS)
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(MANIFEST + ATTACHMENTS)
    system = f.SystemFactory.create(
        name="Platform under test",
        owner=staff,
        subject_kinds=["prospect"],
        categories=["identification", "contact", "communication"],
    )
    call_command(
        "connect_database", str(system.pk), "--url", platform_url, "--manifest", str(manifest)
    )
    expired = [
        f.ProspectFactory.create(work_email="kadri@acme.example"),
        f.ProspectFactory.create(work_email="mart@acme.example"),
        f.ProspectFactory.create(work_email="nobody@else.example"),
    ]
    DataSubject.objects.filter(pk__in=[p.pk for p in expired]).update(
        collected_at=timezone.now() - dt.timedelta(days=3 * 365)
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = run_purge(as_of=legal_today(), dry_run=False, actor="retention", batch_size=2)
    assert run.status == "succeeded", run.note
    task = SystemTask.objects.get(system=system)
    assert (task.cause, task.status, task.completed_via) == ("retention", "done", "database"), (
        task.last_error
    )
    assert task.payload is None  # the purged people's identities do not outlive the purge
    assert "the 3 people the retention rule" in task.evidence
    assert "nothing identifying found" in task.evidence
    assert rows(platform_url, "SELECT id FROM comments") == []
    assert rows(platform_url, "SELECT full_name FROM users WHERE id IN (1, 2)") == [
        (None,),
        (None,),
    ]
    assert rows(platform_url, "SELECT full_name FROM users WHERE id = 3") == [("Not Kadri",)]
    assert ErasureEntry.objects.filter(source="platform", details__system=system.pk).exists()
