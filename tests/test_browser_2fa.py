"""The DPO's first login in Chromium: password, enrolment by QR code (the key typed into the
"app" here), recovery codes shown once; then log out, and log in again with a code."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from core.models import AuditEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_for(manual_key: str, offset: int = 0) -> str:
    key = base64.b32decode(
        "".join(manual_key.split()) + "=" * (-len(manual_key.replace(" ", "")) % 8)
    )
    return f"{totp(key, t0=-30 * offset):06d}"


def test_a_dpo_enrols_logs_out_and_logs_in_with_a_code(page: Any, dpo: Any) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill("dpo")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/2fa/**")
    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    expect(page.locator("figure.qr svg")).to_be_visible()  # drawn by the server, no script
    manual_key = page.get_by_test_id("manual-key").inner_text()
    page.get_by_label("Code from the app").fill(code_for(manual_key))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    page.screenshot(path="test-artifacts/2fa-recovery-codes.png", full_page=True)
    page.get_by_role("link", name="I have saved them: continue").click()
    page.wait_for_url("**/")
    expect(page.get_by_role("heading", name="DPO dashboard")).to_be_visible()  # the DPO's home

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/**")
    page.get_by_label("Username").fill("dpo")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/2fa/verify/**")
    # The code of the next time step: the one just used for enrolment cannot be replayed.
    page.get_by_label("Code").fill(code_for(manual_key, offset=1))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/")
    expect(page.get_by_role("heading", name="DPO dashboard")).to_be_visible()  # the DPO's home
    actions = list(
        AuditEvent.objects.filter(target_id=str(dpo.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == ["auth.logged_in", "auth.2fa.enrolled", "auth.logged_in", "auth.2fa.verified"]
