"""The demo's platform database — the demo's people as the
platform's users — and "The platform" connected to it, so a newcomer's access request reaches
it. `make run` calls `manage.py demo_platform --if-empty`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from processing.models import System
from subject_requests import services
from subject_requests.models import SystemTask
from tests import factories as f
from tests.test_system_tasks import request_for

pytestmark = pytest.mark.django_db


def test_the_demo_platform_holds_the_people_and_answers_their_requests(
    seeded: None,
    tmp_path: Path,
    dpo: Any,
    capsys: pytest.CaptureFixture[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    company = f.OrganisationFactory.create(name="Acme OÜ")
    kadri = f.DataSubjectFactory.create(
        kind="client", first_name="Kadri", last_name="Kask", work_email="kadri@acme.example",
        organisation=company,
    )  # fmt: skip
    f.DataSubjectFactory.create(kind="client", organisation=company)
    url = f"sqlite:///{tmp_path / 'platform.sqlite3'}"
    call_command("demo_platform", "--url", url)
    assert "2 users, manifest v1 over 6 tables" in capsys.readouterr().out
    platform = System.objects.get(seed_key="internal:platform")
    assert platform.connector == "database"
    call_command("check_manifest", str(platform.pk))
    with pytest.raises(CommandError, match="pass --if-empty"):
        call_command("demo_platform", "--url", url)
    call_command("demo_platform", "--url", url, "--if-empty")  # kept as it is

    System.objects.filter(pk=platform.pk).update(active=True, owner=dpo)
    request = request_for(kadri, dpo, "access")
    with django_capture_on_commit_callbacks(execute=True):
        services.start_work(request=request, actor=dpo)
    task = SystemTask.objects.get(system=platform)
    assert task.status == "done", task.last_error
    assert "users (1)" in task.evidence
    values = [v for part in task.found["parts"] for row in part["rows"] for v in row]
    assert "kadri@acme.example" in values and "Kadri Kask" in values


def test_make_run_keeps_the_demo_platform_and_remakes_one_of_an_older_schema(
    seeded: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlalchemy as sa

    from processing.models import DatabaseManifest

    company = f.OrganisationFactory.create(name="Acme OÜ")
    f.DataSubjectFactory.create(
        kind="client", work_email="kadri@acme.example", organisation=company
    )
    url = f"sqlite:///{tmp_path / 'platform.sqlite3'}"
    call_command("demo_platform", "--url", url)
    # An Admin changed the manifest since: the next `make run` keeps it.
    DatabaseManifest.objects.filter(version=1).update(text="# the Admin's\n" + demo_manifest_text())
    capsys.readouterr()
    call_command("demo_platform", "--url", url, "--if-empty")
    assert "kept as they are" in capsys.readouterr().out
    assert DatabaseManifest.objects.count() == 1

    # A database made by an earlier demo (a column fewer) is made again, not refused.
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE users DROP COLUMN processing_restricted")
    engine.dispose()
    DatabaseManifest.objects.all().delete()
    call_command("demo_platform", "--url", url, "--if-empty")
    assert "1 users, manifest v1" in capsys.readouterr().out


def demo_manifest_text() -> str:
    from processing.databases.demo import MANIFEST

    return MANIFEST.read_text()
