from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from tests.fixture_types import LoginInBrowser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_dpo_logs_in_and_sees_the_home_page(
    page: Page, login_in_browser: LoginInBrowser, dpo: User
) -> None:
    page.goto("/")
    assert "/login/" in page.url  # login required everywhere
    login_in_browser(dpo)  # password, then the authenticator's code
    # The DPO's home page is their dashboard.
    expect(page.get_by_role("heading", name="DPO dashboard")).to_be_visible()
    assert "DPO" in page.locator(".who").inner_text()
    page.screenshot(path="test-artifacts/home-dpo.png", full_page=True)


def test_a_wrong_password_shows_a_clear_message(page: Page, dpo: User) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill("dpo")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").inner_text().startswith("Your username and password")
