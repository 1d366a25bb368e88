"""The DPO's oversight journey in Chromium: the dashboard, a breach recorded and its
72-hour clock on every page, and the record of processing printed as a PDF."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from breaches.models import Breach
from core.models import AuditEvent
from processing.models import RecordVersion
from tests.factories import ConsentEventFactory, DataSubjectFactory, SubjectRequestFactory, purpose
from tests.fixture_types import LoginInBrowser

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

SHOTS = os.environ.get("OVERSIGHT_SCREENSHOTS")


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _history() -> None:
    """Some months of requests and consent events, so the charts have something to draw."""
    now = timezone.now()
    types = ["access", "erasure", "rectification", "objection_marketing", "information"]
    for n in range(40):
        received = now - dt.timedelta(days=3 + n * 4)
        closed = n % 3 != 0
        SubjectRequestFactory.create(
            type=types[n % len(types)],
            received_at=received,
            status=("rejected" if n % 7 == 0 else "completed") if closed else "in_progress",
            closed_at=received + dt.timedelta(days=2 + n % 20) if closed else None,
        )
    people = DataSubjectFactory.create_batch(6, kind="user", country="EE")
    marketing = purpose("direct-marketing")
    for n, person in enumerate(people):
        ConsentEventFactory.create(
            subject=person,
            purpose=marketing,
            kind="withdrawn" if n % 2 else "objected",
            occurred_at=now - dt.timedelta(days=7 * n + 1),
        )


def test_the_dpo_opens_the_dashboard_records_a_breach_and_prints_the_record(
    seeded: None, dpo: User, page: Page, login_in_browser: LoginInBrowser
) -> None:
    _history()
    page.set_viewport_size({"width": 1280, "height": 900})
    login_in_browser(dpo)
    page.get_by_role("heading", name="DPO dashboard").wait_for()
    expect(page.get_by_role("heading", name="Per right: the last 12 months")).to_be_visible()
    assert page.locator("svg.chart-svg").count() >= 5
    shot(page, "dashboard")

    page.get_by_role("link", name="Record a breach").click()
    page.get_by_label("Short title").fill("Support mailbox exposed")
    aware = timezone.localtime() - dt.timedelta(hours=5)
    page.get_by_label("Became aware at").fill(aware.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Nature").select_option("confidentiality")
    page.get_by_label("What happened").fill("A support mailbox was readable by a wrong group.")
    page.get_by_role("checkbox", name="User", exact=True).check()
    page.get_by_role("checkbox", name="Contact", exact=True).check()
    page.get_by_label("Approximate number of people").fill("6")
    page.get_by_label("Approximate number of records").fill("40")
    page.get_by_label("Likely consequences").fill("Unwanted e-mails.")
    page.get_by_label("Measures taken or proposed").fill("Access removed; logs checked.")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("The breach is recorded; its 72-hour clock is running.").wait_for()
    clock = page.get_by_test_id("breach-clock")
    assert "66 hours left" in clock.inner_text() or "67 hours left" in clock.inner_text()
    page.get_by_label("Kind").select_option("user")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_text("6 people added to the affected.").wait_for()
    shot(page, "breach")

    # The clock is on every page the DPO opens while it runs.
    page.get_by_role("link", name="Register").first.click()
    breach = Breach.objects.get()
    assert f"Breach {breach.reference}:" in page.locator(".alarm").first.inner_text()
    page.get_by_role("heading", name="Record of processing activities").wait_for()
    href = page.get_by_test_id("record-pdf").get_attribute("href")
    assert href == "/processing/record.pdf"
    pdf = page.request.get(href)
    assert pdf.ok and pdf.body()[:4] == b"%PDF"
    if SHOTS:
        (Path(SHOTS) / "record.pdf").write_bytes(pdf.body())
    assert RecordVersion.objects.count() == 1
    page.reload()
    assert "Version 1" in page.content()
    assert AuditEvent.objects.filter(action="breach.recorded").exists()
    assert AuditEvent.objects.filter(action="processing.record_printed").exists()
