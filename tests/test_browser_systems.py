"""The Admin's journey through the systems register, in Chromium."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page

from core.models import AuditEvent
from processing.models import System
from tests.fixture_types import LoginInBrowser

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

SHOTS = os.environ.get("SYSTEMS_SCREENSHOTS")


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_the_admin_adds_a_webhook_system_and_sees_its_secret_once(
    seeded: None, admin_user: User, staff: User, page: Page, login_in_browser: LoginInBrowser
) -> None:
    login_in_browser(admin_user)
    page.get_by_role("link", name="Register").first.click()
    page.get_by_role("link", name="Systems", exact=True).click()
    page.get_by_role("heading", name="Systems register").wait_for()
    assert "17 systems need attention" in page.content()
    shot(page, "system_list")

    page.get_by_role("link", name="Add a system").click()
    page.get_by_label("Name:").fill("Billing platform")
    page.get_by_label("Kind:").select_option("internal")
    page.get_by_label("Owner:").select_option(label="Staff (staff)")
    page.get_by_role("checkbox", name="Contact", exact=True).check()
    page.get_by_role("checkbox", name="Usage", exact=True).check()
    page.get_by_role("checkbox", name="Client", exact=True).check()
    page.get_by_label("Webhook: a signed HTTPS call").check()
    page.get_by_label("Webhook URL:").fill("http://billing.example/privacyops")
    shot(page, "system_form")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Webhooks are called over HTTPS only").wait_for()
    page.get_by_label("Webhook URL:").fill("https://billing.example/privacyops")
    page.get_by_role("button", name="Save").click()

    page.get_by_text("The system is in the register.").wait_for()
    assert "No signing secret" in page.content()
    shot(page, "system_detail_no_secret")
    page.get_by_role("link", name="Generate the signing secret").click()
    page.get_by_role("button", name="Generate the secret").click()
    secret = page.get_by_label("Secret").input_value()
    shot(page, "system_secret_shown")
    system = System.objects.get(name="Billing platform")
    assert secret and system.webhook_secret == secret

    page.get_by_role("link", name="I have stored it").click()
    page.get_by_text("set", exact=True).wait_for()
    assert secret not in page.content()
    assert "No signing secret" not in page.content()
    shot(page, "system_detail")

    page.get_by_role("link", name="Deactivate").click()
    page.get_by_role("button", name="Deactivate").click()
    page.get_by_text("The system is deactivated").wait_for()
    system.refresh_from_db()
    assert not system.active
    actions = AuditEvent.objects.filter(target_type="processing.system", target_id=str(system.pk))
    assert list(actions.order_by("sequence").values_list("action", flat=True)) == [
        "system.created",
        "system.secret_rotated",
        "system.deactivated",
    ]
