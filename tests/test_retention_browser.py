"""The DPO's and the Admin's journeys through the retention pages, in Chromium."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page

from retention.models import RetentionRule, RuleChange
from tests import factories as f
from tests.fixture_types import LoginInBrowser

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

LONG_AGO = dt.datetime(2020, 1, 5, 12, tzinfo=ZoneInfo("Europe/Tallinn"))
SHOTS = os.environ.get("RETENTION_SCREENSHOTS")


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_the_dpo_previews_tonights_purge_and_confirms_the_former_clients_rule(
    seeded: None, dpo: User, page: Page, login_in_browser: LoginInBrowser
) -> None:
    for _ in range(3):
        f.ProspectFactory.create(collected_at=LONG_AGO)
    f.ProspectFactory.create(collected_at=LONG_AGO, legal_hold_reason="Court case 2-24-1")
    # The last successful purge was 40 hours ago: the DPO sees the alarm.
    f.PurgeRunFactory.create(finished_at=timezone.now() - dt.timedelta(hours=40))
    login_in_browser(dpo)
    page.get_by_role("link", name="Retention").first.click()
    page.get_by_role("heading", name="Retention", exact=True).wait_for()
    assert "No purge has succeeded for 36 hours" in page.content()
    shot(page, "preview")
    page.get_by_role(
        "link", name="Rule “Former clients' other data” (3 years)", exact=False
    ).click()
    page.get_by_role("button", name="Confirm the rule").wait_for()
    shot(page, "rule_unconfirmed")
    page.get_by_label("I have checked the period and the legal reference.").check()
    page.get_by_role("button", name="Confirm the rule").click()
    page.get_by_text("Confirmed: the rule runs from tonight's purge on.").wait_for()
    assert RetentionRule.objects.get(code="former-clients").confirmed


def test_the_admin_proposes_a_longer_prospect_period_and_is_refused_with_a_reason(
    seeded: None, admin_user: User, page: Page, login_in_browser: LoginInBrowser
) -> None:
    rule = RetentionRule.objects.get(code="prospects-1y")
    login_in_browser(admin_user)
    page.goto(f"/retention/rules/{rule.pk}/edit/")
    page.get_by_label("Months").fill("2")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("At most 1 year is allowed here").wait_for()
    shot(page, "rule_form_error")
    page.goto("/retention/rules/")
    shot(page, "rules")
    assert not RuleChange.objects.exists()
