"""A staff member logs a withdrawal in the browser and sees it on the subject's timeline."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from consent import services
from tests.factories import DataSubjectFactory, purpose
from tests.fixture_types import LoginInBrowser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_find_a_subject_by_email_log_a_withdrawal_and_see_it_on_the_timeline(
    page: Page, login_in_browser: LoginInBrowser, staff: User
) -> None:
    from core.seeding import seed_all

    seed_all()
    marketing = purpose("direct-marketing")
    subject = DataSubjectFactory.create(
        first_name="Kadri", last_name="Kask", work_email="kadri.kask@client.example"
    )
    with time_machine.travel(timezone.now() - dt.timedelta(days=30)):
        services.grant_consent(
            subject=subject, purpose=marketing, channel="web_form", actor="data subject",
            wording="Monthly newsletter",
        )  # fmt: skip

    login_in_browser(staff)
    page.get_by_role("link", name="Consent").first.click()
    page.get_by_label("E-mail or name").fill("kadri.kask@client.example")
    page.get_by_role("button", name="Find").click()  # an exact e-mail opens the person's form
    expect(
        page.get_by_role("heading", name="Log a withdrawal or objection: Kadri Kask")
    ).to_be_visible()
    expect(page.locator(".consent-states").get_by_text("Consent given")).to_be_visible()

    page.get_by_label("All marketing").check()
    page.get_by_label("How the person told us").select_option("email")
    yesterday = (dt.datetime.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("When the person asked").fill(yesterday)
    page.get_by_label("Note (evidence)").fill("Please stop sending me the newsletter.")
    page.get_by_role("button", name="Review").click()
    expect(page.get_by_role("heading", name="Confirm what will be recorded")).to_be_visible()
    page.screenshot(path="test-artifacts/consent-confirm.png", full_page=True)
    page.get_by_role("button", name="Confirm and record").click()

    page.wait_for_url(f"**/subjects/{subject.pk}/**")
    timeline = page.locator("#consent")
    expect(timeline.get_by_text("Consent withdrawn")).to_be_visible()
    expect(timeline.locator("li.event-withdrawn").get_by_text("Direct marketing")).to_be_visible()
    expect(timeline.locator("li.event-withdrawn").get_by_text("recorded by staff")).to_be_visible()
    expect(page.get_by_text("Recorded: withdrawn — Direct marketing")).to_be_visible()
    page.screenshot(path="test-artifacts/consent-timeline.png", full_page=True)
