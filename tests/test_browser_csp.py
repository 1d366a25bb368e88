"""The Content-Security-Policy in a real browser: with it on (live_server runs the real
middleware), the pages' behaviour comes from static scripts and the browser reports
no violation."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.fixture_types import LoginInBrowser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def violations(page: Page) -> list[str]:
    found: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            found.append(message.text)

    page.on("console", on_console)
    return found


def test_the_language_choice_switches_the_public_page_without_inline_script(page: Page) -> None:
    refused = violations(page)
    page.goto("/privacy/request/")
    assert page.locator("html").get_attribute("lang") == "en"
    with page.expect_navigation():
        page.get_by_label("Language").select_option("et")
    assert page.locator("html").get_attribute("lang") == "et"
    expect(page.get_by_role("heading", name="Kasutage oma andmekaitseõigusi")).to_be_visible()
    assert refused == []


def test_staff_pages_run_under_the_policy_without_violations(
    page: Page, login_in_browser: LoginInBrowser, dpo: User
) -> None:
    refused = violations(page)
    login_in_browser(dpo)
    for url in ("/", "/requests/", "/subjects/", "/processing/", "/audit/"):
        page.goto(url)
    page.goto("/privacy/request/")
    assert refused == []
