"""Issue 23, item 7 (the first part): the demo's platform database — the demo's people as the
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
    assert "email: kadri@acme.example" in task.evidence and "Kadri Kask" in task.evidence
