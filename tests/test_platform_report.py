"""The platform's rows in the person's own documents: the access report's sections from a
system the portal reaches by SQL, by data category and labelled for people, with that person's
rows only and every personal column of the manifest; the portability package where a purpose
on consent or a contract processes the category; a restriction set and lifted on the flag
column the manifest names."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from processing.databases.manifest import parse
from processing.models import System
from reports.collect import collect
from reports.documents import render_access_report
from reports.portability import portability_package
from subject_requests import services
from subject_requests.choices import Operation, TaskStatus
from subject_requests.models import SystemTask
from subject_requests.services import changes
from subjects.models import DataSubject
from tests import factories as f
from tests.platform_db import ATTACHMENTS, MANIFEST, ROWS, run_script
from tests.reports_helpers import pdf_text
from tests.test_platform_requests import kadri, rows
from tests.test_system_tasks import request_for

pytestmark = pytest.mark.django_db

# The manifest of the tests, with words for people and a restriction flag on users.
LABELLED = (
    MANIFEST.replace(
        "  users:\n    columns:",
        "  users:\n    label: {en: your account, et: teie konto, lv: jūsu konts}\n"
        "    restrict: restricted\n    columns:\n      restricted: not personal",
    ).replace(
        "full_name: {category: identification, erase: clear}",
        "full_name: {category: identification, erase: clear, label: {en: full name, "
        "et: täisnimi, lv: pilns vārds}}",
    )
    + ATTACHMENTS
)


@pytest.fixture
def platform(platform_url: str, tmp_path: Path, staff: Any, seeded: None) -> System:
    System.objects.update(active=False)
    run_script(platform_url, ROWS + ";ALTER TABLE users ADD COLUMN restricted BOOLEAN")
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(LABELLED)
    system = f.SystemFactory.create(
        name="Platform under test",
        owner=staff,
        categories=["identification", "contact", "communication"],
        subject_kinds=["client", "prospect"],
    )
    call_command(
        "connect_database", str(system.pk), "--url", platform_url, "--manifest", str(manifest)
    )
    system.refresh_from_db()
    return system


def answered(person: DataSubject, dpo: Any, capture: Any, language: str = "en") -> SystemTask:
    request = request_for(person, dpo, "access")
    if language != "en":
        type(request).objects.filter(pk=request.pk).update(language=language)
        request.refresh_from_db()
    with capture(execute=True):
        services.start_work(request=request, actor=dpo)
    return SystemTask.objects.get(request=request, operation=Operation.ACCESS)


def test_the_access_report_shows_the_persons_rows_from_the_platform_and_nobody_elses(
    platform: System, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    person = kadri()
    task = answered(person, dpo, django_capture_on_commit_callbacks)
    assert task.status == TaskStatus.DONE, task.last_error
    text = pdf_text(render_access_report(subject=person, request=task.request))
    assert "Platform under test: Your account" in text
    assert "Platform under test: Comments" in text
    assert "Full name Kadri Kask" in text or "Kadri Kask" in text
    assert "Kadri@Acme.example" in text and "Kadri writes" in text and "plan.pdf" in text
    # Her colleague's comment on the same project, his file, and a look-alike elsewhere.
    for other in ("Mart", "Mets", "Mart answers", "x.pdf", "Not Kadri", "acme.example.other"):
        assert other not in text
    # The system tasks section says where the values are instead of repeating them.
    assert "shown in the sections from Platform under test" in text


def test_every_personal_column_of_the_manifest_reaches_the_report(
    platform: System, platform_url: str, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The completeness test of the portal's own data, for the platform: a person with a value
    in every personal column finds each one in their report."""
    manifest = parse(LABELLED)
    run_script(
        platform_url,
        "UPDATE comments SET body = 'marker-comments-body' WHERE id = 3;"
        "UPDATE attachments SET file_name = 'marker-attachments-file_name' WHERE id = 1;"
        "UPDATE users SET full_name = 'marker-users-full_name' WHERE id = 1",
    )
    person = kadri()
    task = answered(person, dpo, django_capture_on_commit_callbacks)
    data = collect(person, language="en")
    shown = {
        (s.section.code.split(".")[2], column.field)
        for s in data.sections
        if s.section.code.startswith("platform.")
        for column in s.section.columns
    }
    expected = {
        (table.name, column.name)
        for table in manifest.tables.values()
        if table.name in manifest.reached()
        for column in table.personal_columns
    }
    assert expected - shown == set()
    text = pdf_text(render_access_report(subject=person, request=task.request))
    for marker in (
        "marker-comments-body",
        "marker-attachments-file_name",
        "marker-users-full_name",
    ):
        assert marker in text


def test_the_sections_speak_the_persons_language(
    platform: System, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    person = kadri()
    answered(person, dpo, django_capture_on_commit_callbacks, language="et")
    data = collect(person, language="et")
    titles = [str(s.section.title) for s in data.sections if s.section.code.startswith("platform.")]
    assert "Platform under test: Teie konto" in titles
    headers = [
        h for s in data.sections if s.section.code.endswith(".identification") for h in s.headers
    ]
    assert headers == ["Täisnimi"]


def test_the_portability_package_carries_the_platform_rows_by_purpose(
    platform: System, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    person = kadri()
    answered(person, dpo, django_capture_on_commit_callbacks)
    data = collect(person, language="en")
    platform_sections = [s for s in data.sections if s.section.code.startswith("platform.")]
    assert platform_sections
    archive = zipfile.ZipFile(BytesIO(portability_package(subject=person)))
    package = json.loads(archive.read("data.json"))
    for section in platform_sections:
        code = section.section.code
        if section.portable:
            assert package["records"][code] == section.raw
        else:
            assert code not in package["records"]
            assert any(e["section"] == code for e in package["left_out"])
    # A client's contact data is processed for the contract with them: it goes.
    contact = next(s for s in platform_sections if s.section.code.endswith("users.contact"))
    assert contact.portable
    assert package["records"][contact.section.code] == [{"email": "Kadri@Acme.example"}]


def test_a_restriction_sets_the_flag_column_and_its_lifting_clears_it(
    platform: System,
    platform_url: str,
    dpo: Any,
    client_for: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    person = kadri()
    request = request_for(person, dpo, "restriction")
    client = client_for(dpo)
    url = f"/requests/{request.pk}/people/{person.pk}/restriction/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"op": "restrict", "ground": "accuracy_contested"})
    assert response.status_code == 302
    task = SystemTask.objects.get(request=request, system=platform, operation=Operation.RESTRICT)
    assert (task.status, task.completed_via) == (TaskStatus.DONE, "database"), task.last_error
    assert "users (1 row(s), restricted = true)" in task.evidence
    assert rows(platform_url, "SELECT id FROM users WHERE restricted") == [(1,)]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"op": "announce"}).status_code == 302
        assert client.post(url, {"op": "lift"}).status_code == 302
    lifted = SystemTask.objects.get(
        request=request, system=platform, operation=Operation.LIFT_RESTRICTION
    )
    assert lifted.status == TaskStatus.DONE, lifted.last_error
    assert rows(platform_url, "SELECT id FROM users WHERE restricted") == []


def test_without_a_flag_column_a_restriction_goes_to_the_owner(
    platform: System, platform_url: str, dpo: Any, client_for: Any, tmp_path: Path
) -> None:
    manifest = tmp_path / "plain.yaml"
    manifest.write_text(LABELLED.replace("    restrict: restricted\n", ""))
    call_command(
        "connect_database", str(platform.pk), "--url", platform_url, "--manifest", str(manifest)
    )
    person = kadri()
    request = request_for(person, dpo, "restriction")
    changes.restrict(request=request, subject=person, ground="accuracy_contested", actor=dpo)
    task = SystemTask.objects.get(request=request, system=platform)
    assert (task.connector, task.status) == ("manual", TaskStatus.OPEN)


def test_the_task_page_shows_what_the_portal_found_and_logs_the_look(
    platform: System, dpo: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from core.models import AuditEvent

    task = answered(kadri(), dpo, django_capture_on_commit_callbacks)
    page = client_for(dpo).get(f"/requests/tasks/{task.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="task-found"' in html and "Kadri Kask" in html and "Mart" not in html
    assert AuditEvent.objects.filter(
        action="request.system_task_viewed", details__task=task.pk
    ).exists()
