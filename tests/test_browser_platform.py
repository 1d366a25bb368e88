"""The platform's own database in the journeys of a request, in Chromium: the erasure's dry run
on the DPO's page shows the person's rows per table before, the certificate shows what was done
after, and the database holds nothing of them; the access report the requester downloads
shows their rows from the platform, by category, and nobody else's."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import expect

from processing.models import System
from subject_requests.choices import Operation, Status, TaskStatus
from subject_requests.models import SystemTask
from subjects.models import DataSubject, SubjectKind
from tests import factories as f
from tests import journeys as j
from tests import test_browser_journeys
from tests.platform_db import ATTACHMENTS, MANIFEST, ROWS, run_script
from tests.reports_helpers import pdf_text
from tests.test_platform_requests import rows

# The journeys' three browsers (requester, DPO, the system's owner) and their clock.
cast = test_browser_journeys.cast

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def platform(seeded: None, staff: User, platform_url: str, tmp_path: Path) -> System:
    """Only the platform is active: every task of these journeys is the portal's own."""
    System.objects.update(active=False)
    run_script(platform_url, ROWS)
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(MANIFEST + ATTACHMENTS)
    system = f.SystemFactory.create(
        name="The platform",
        owner=staff,
        subject_kinds=["client", "user"],
        categories=["identification", "contact", "communication"],
    )
    call_command(
        "connect_database", str(system.pk), "--url", platform_url, "--manifest", str(manifest)
    )
    return system


@pytest.fixture
def kadri(platform: System) -> DataSubject:
    return f.DataSubjectFactory.create(
        kind=SubjectKind.CLIENT,
        first_name="Kadri",
        last_name="Kask",
        work_email="kadri@acme.example",
        organisation=f.OrganisationFactory.create(name="Acme"),
    )


def test_an_erasure_shows_the_platform_rows_before_and_the_certificate_after(
    cast: j.People, kadri: DataSubject, platform: System, platform_url: str
) -> None:
    request = j.file_request(
        cast, right="Erasure of my data", name="Kadri Kask",
        email="kadri@acme.example", words="Please erase my account.",
    )  # fmt: skip
    dpo = cast.dpo
    j.open_request(dpo, request)
    dpo.get_by_test_id("open-erasure").click()
    preview = dpo.get_by_test_id("database-preview")
    expect(preview).to_be_visible()
    expect(preview.locator("tr[data-table=comments]")).to_contain_text("2")
    expect(preview.locator("tr[data-table=comments]")).to_contain_text("Deleted")
    expect(preview.locator("tr[data-table=users]")).to_contain_text(
        "email (replaced by a keyed hash)"
    )
    cast.look(dpo, "platform-dry-run")
    assert len(rows(platform_url, "SELECT id FROM comments WHERE author_id = 1")) == 2
    dpo.get_by_test_id("propose-erasure").click()
    dpo.get_by_label("I have read what will be erased").check()
    dpo.get_by_test_id("confirm-erasure").click()
    expect(dpo.get_by_role("status").get_by_text("Erasure carried out: 1 erased")).to_be_visible()
    dpo.goto(f"/requests/{request.pk}/erasure/")
    certificate = dpo.get_by_test_id("erasure-certificate")
    expect(certificate).to_contain_text("comments: 2 row(s) deleted")
    expect(certificate).to_contain_text("nothing identifying found")
    expect(certificate).to_contain_text("Recorded in the erasure ledger")
    cast.look(dpo, "platform-certificate")

    # Kadri is gone from the platform; her colleague's comment on the same project stays.
    assert rows(platform_url, "SELECT id FROM comments") == [(2,)]
    assert rows(platform_url, "SELECT email FROM users WHERE id = 1")[0][0] != "Kadri@Acme.example"
    assert rows(platform_url, "SELECT full_name FROM users WHERE id = 1") == [(None,)]
    task = SystemTask.objects.get(request=request, operation=Operation.ERASE)
    assert (task.status, task.completed_via) == (TaskStatus.DONE, "database")
    cast.later()
    j.complete(cast, request, "We erased your data, in the platform too.")
    request.refresh_from_db()
    assert request.status == Status.COMPLETED


def test_the_access_report_shows_the_platform_rows_of_the_person_only(
    cast: j.People, kadri: DataSubject
) -> None:
    request = j.file_request(
        cast, right="Access to my data", name="Kadri Kask",
        email="kadri@acme.example", words="What do you hold about me?",
    )  # fmt: skip
    dpo = cast.dpo
    j.open_request(dpo, request)
    dpo.get_by_role("button", name="Build: Access report (Art. 15)").click()
    # Building starts the work: the portal asks the platform itself, at once.
    task = SystemTask.objects.get(request=request, operation=Operation.ACCESS)
    assert (task.status, task.completed_via) == (TaskStatus.DONE, "database"), task.last_error
    review = dpo.get_by_test_id("review-answer")
    expect(review).to_be_visible()
    review.click()
    cast.later()
    j.complete(cast, request, "Here is what we hold about you, in the platform too.")

    requester = j.open_documents(cast, request)
    with requester.expect_download() as download:
        requester.get_by_role("link", name="Access report (Art. 15)").click()
    content = open(download.value.path(), "rb").read()
    j.keep_pdf(cast, content, "report")
    text = " ".join(pdf_text(content).split())
    assert "The platform: Users" in text and "The platform: Comments" in text
    assert "Kadri@Acme.example" in text and "Kadri writes" in text and "plan.pdf" in text
    for other in ("Mart", "Mart answers", "x.pdf", "Not Kadri", "acme.example.other"):
        assert other not in text
