"""The journey in Chromium: the DPO finds a person by their exact e-mail and opens their page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page

from core.models import AuditEvent
from tests.factories import DataSubjectFactory, OrganisationFactory
from tests.fixture_types import LoginInBrowser

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_the_dpo_searches_a_person_by_exact_email_and_opens_their_page(
    page: Page, login_in_browser: LoginInBrowser, dpo: User
) -> None:
    organisation = OrganisationFactory.create(name="Harbour Foods Pte Ltd", country="SG")
    person = DataSubjectFactory.create(
        first_name="Siti",
        last_name="Rahman",
        work_email="siti.rahman@harbourfoods.example",
        organisation=organisation,
        country="SG",
        date_of_birth=dt.date(1985, 4, 2),
    )
    DataSubjectFactory.create(
        first_name="Siti", last_name="Tan", work_email="siti.tan@other.example"
    )

    login_in_browser(dpo)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Data subjects").click()
    page.get_by_label("Name, organisation or exact e-mail").fill("Siti.Rahman@harbourfoods.example")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("1 person").wait_for()
    assert page.get_by_role("link", name="Tan, Siti").count() == 0

    page.get_by_role("link", name="Rahman, Siti").click()
    page.get_by_role("heading", name="Siti Rahman").wait_for()
    assert page.url.endswith(f"/subjects/{person.pk}/")
    assert "02.04.1985" in page.locator("#data-identification").inner_text()
    storage = page.locator("#storage").inner_text()
    assert "EU" in storage and "AU" in storage
    assert AuditEvent.objects.filter(
        action="subject.viewed", actor=dpo, target_id=str(person.pk)
    ).exists()
