"""A staff member imports a CSV of prospects in the browser: upload, map, dry run, apply,
download the result; and the progress bar follows a running task (static JS, strict CSP)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from consent.imports.models import CsvImport, ImportStatus
from subjects.models import DataSubject
from tests.factories import DataSubjectFactory
from tests.fixture_types import LoginInBrowser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "E-mail;First name;Surname;Job title;Country;Newsletter\n"
    "kadri@client.example;Kadri;Kask;CTO;EE;yes\n"
    "known@client.example;Jaan;Tamm;CEO;EE;no\n"
    "broken-address;Liis;Mets;;EE;\n"
)
SHOTS = Path("/tmp/i13-import")


def test_staff_import_prospects_dry_run_apply_and_download_the_result(
    page: Page, login_in_browser: LoginInBrowser, staff: User, tmp_path: Path
) -> None:
    from core.seeding import seed_all

    seed_all()
    SHOTS.mkdir(exist_ok=True)
    known = DataSubjectFactory.create(work_email="known@client.example", position="Clerk")
    upload = tmp_path / "prospects.csv"
    upload.write_text(CSV)

    login_in_browser(staff)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    page.get_by_label("What the file lists").select_option("prospects")
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and map the columns").click()

    expect(page.get_by_role("heading", name="Map the columns")).to_be_visible()
    expect(page.get_by_label("E-mail", exact=True)).to_have_value("work_email")
    expect(page.get_by_label("Surname")).to_have_value("last_name")
    expect(page.get_by_label("Newsletter")).to_have_value("")
    page.screenshot(path=str(SHOTS / "i13-import-map.png"), full_page=True)
    page.get_by_role("button", name="Dry run").click()

    expect(page.get_by_role("heading", name="Dry run: nothing is written yet")).to_be_visible()
    rows = page.locator("[data-import-rows] tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("create")
    expect(rows.nth(1)).to_contain_text("update")
    expect(rows.nth(2)).to_contain_text("refuse")
    expect(rows.nth(2)).to_contain_text("work_email")
    assert DataSubject.objects.count() == 1
    page.screenshot(path=str(SHOTS / "i13-import-dry-run.png"), full_page=True)

    page.get_by_role("link", name="Apply…").click()
    expect(page.get_by_role("heading", name="Apply import")).to_be_visible()
    page.get_by_role("button", name="Apply the import").click()
    expect(page.get_by_role("heading", name="Result")).to_be_visible()
    page.screenshot(path=str(SHOTS / "i13-import-result.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    result = Path(download.value.path()).read_text()
    assert result.splitlines()[0] == "line,action,subject_id,reasons"
    assert f"3,update,{known.pk}," in result and "kadri@client.example" not in result
    known.refresh_from_db()
    assert known.position == "CEO"
    assert DataSubject.objects.with_email("kadri@client.example").get().kind == "prospect"
    assert CsvImport.objects.get().content is None


def test_the_progress_bar_follows_a_running_dry_run(
    page: Page, login_in_browser: LoginInBrowser, staff: User, tmp_path: Path
) -> None:
    from core.seeding import seed_all

    seed_all()
    login_in_browser(staff)
    upload = tmp_path / "prospects.csv"
    upload.write_text(CSV)
    page.goto("/consent/imports/")
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and map the columns").click()
    expect(page.get_by_role("heading", name="Map the columns")).to_be_visible()
    csv_import = CsvImport.objects.get()
    # As a worker would leave it halfway through (the tests run Celery eagerly).
    CsvImport.objects.filter(pk=csv_import.pk).update(
        status=ImportStatus.CHECKING, processed_rows=1
    )
    page.reload()
    expect(page.locator("progress")).to_be_visible()
    page.screenshot(path=str(SHOTS / "i13-import-progress.png"), full_page=True)
    CsvImport.objects.filter(pk=csv_import.pk).update(processed_rows=2)
    expect(page.locator("[data-progress-note]")).to_have_text("2 / 3")

    CsvImport.objects.filter(pk=csv_import.pk).update(
        status=ImportStatus.CHECKED, processed_rows=3, plan=[[2, "create", None, {}]],
        counts={"create": 1},
    )  # fmt: skip
    expect(page.get_by_role("heading", name="Dry run: nothing is written yet")).to_be_visible()
