"""The API's pages in Chromium: the Admin creates a key (shown once), it works, it is
revoked; the docs page lists every operation from the schema, with no CSP violation."""

from __future__ import annotations

import httpx
import pytest
from django.contrib.auth.models import User
from playwright.sync_api import ConsoleMessage, Page
from pytest_django.live_server_helper import LiveServer

from core.api.models import ApiKey
from tests.fixture_types import LoginInBrowser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch(page: Page) -> tuple[list[str], list[str]]:
    violations: list[str] = []
    foreign: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", on_console)
    page.on(
        "request",
        lambda request: (
            foreign.append(request.url)
            if not request.url.startswith(("http://localhost", "http://127.0.0.1", "data:"))
            else None
        ),
    )
    return violations, foreign


def test_the_admin_creates_uses_and_revokes_a_key(
    page: Page, login_in_browser: LoginInBrowser, admin_user: User, live_server: LiveServer
) -> None:
    violations, _ = watch(page)
    login_in_browser(admin_user)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API keys").click()
    page.get_by_label("Integration").fill("SaaS platform")
    page.get_by_label("Read purposes, processors, transfers, retention").check()
    page.get_by_role("button", name="Create the key").click()
    secret = page.get_by_test_id("api-key-secret").input_value()
    assert secret.startswith("po_")
    page.screenshot(path="/tmp/i13-api-key-created.png", full_page=True)
    url = f"{live_server.url}/api/v1/register/purposes/"
    headers = {"Authorization": f"Bearer {secret}"}
    assert httpx.get(url, headers=headers).status_code == 200
    page.get_by_role("link", name="I have stored it").click()
    table = page.get_by_test_id("api-keys")
    assert secret not in page.content()
    assert "SaaS platform" in table.inner_text()
    page.screenshot(path="/tmp/i13-api-keys.png", full_page=True)
    table.get_by_role("button", name="Revoke").click()
    assert "revoked" in page.get_by_test_id("api-keys").inner_text()
    assert ApiKey.objects.get().revoked_at is not None
    assert httpx.get(url, headers=headers).status_code == 401
    assert violations == []


def test_the_docs_page_renders_locally_without_csp_violations(
    page: Page, login_in_browser: LoginInBrowser, dpo: User
) -> None:
    violations, foreign = watch(page)
    login_in_browser(dpo)
    page.goto("/api/docs/")
    page.get_by_role("heading", name="PrivacyOps API").wait_for()
    operations = page.locator(".api-operation")
    assert operations.count() > 20
    # Each operation with its method and path, its description and its answers.
    bulk = page.locator(
        "article", has=page.get_by_role("heading", name="POST /api/v1/subjects/bulk/")
    )
    assert "All or nothing" in bulk.inner_text() and "400" in bulk.inner_text()
    page.screenshot(path="/tmp/i13-api-docs.png", full_page=False)
    assert violations == []
    assert foreign == []
