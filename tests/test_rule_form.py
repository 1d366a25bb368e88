"""The retention rule pages as an Admin meets them on a seeded portal: no
"New rule" that cannot succeed, messages in words, anchors of the chosen kind only, a name
that follows the period, and a reason for every change."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page

from core.models import AuditEvent
from retention.models import RetentionRule
from tests.fixture_types import ClientFor, LoginInBrowser

pytestmark = pytest.mark.django_db


def _errors(html: str) -> list[str]:
    return re.findall(
        r"<li>(.*?)</li>", " ".join(re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', html))
    )


def _form_of(rule: RetentionRule, **changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "name": rule.name,
        "anchor": rule.anchor,
        "period_years": rule.period_years,
        "period_months": rule.period_months,
        "period_days": rule.period_days,
        "action": rule.action,
        "legal_reference": rule.legal_reference,
        "description": rule.description,
        "active": "on",
    }
    values.update(changes)
    return values


def test_a_seeded_portal_offers_to_replace_a_rule_not_a_new_rule_that_cannot_succeed(
    seeded: None, admin_user: User, client_for: ClientFor
) -> None:
    client = client_for(admin_user)
    rules = client.get("/retention/rules/").content.decode()
    assert "New rule for:" not in rules
    assert "Replace the rule for this record type" in rules
    response = client.get("/retention/rules/new/", follow=True)
    assert response.redirect_chain[-1][0] == "/retention/rules/"
    assert b"replace its rule" in response.content


def test_a_new_rule_is_offered_for_a_kind_without_one_and_errors_are_words(
    seeded: None, admin_user: User, client_for: ClientFor
) -> None:
    RetentionRule.objects.filter(record_type="subjects.claim").update(active=False)
    client = client_for(admin_user)
    rules = client.get("/retention/rules/").content.decode()
    assert "/retention/rules/new/?record_type=subjects.claim" in rules
    form = client.get("/retention/rules/new/?record_type=subjects.claim").content.decode()
    # Only the kinds without a rule can be chosen; the anchors come grouped by kind.
    assert 'value="subjects.prospect"' not in form
    assert '<optgroup label="Claims' in form or "<optgroup" in form
    empty = client.post("/retention/rules/new/", {}).content.decode()
    assert _errors(empty)
    assert "constraint" not in empty.lower()
    wrong_anchor = client.post(
        "/retention/rules/new/",
        {
            "code": "claims-9y",
            "name": "Claims: 9 years",
            "record_type": "subjects.claim",
            "anchor": "prospect_latest",
            "period_years": "9",
            "action": "anonymise",
            "legal_reference": "Law of Obligations Act",
            "active": "on",
        },
    ).content.decode()
    assert any("anchor is" in e or "valid choice" in e for e in _errors(wrong_anchor))
    assert not RetentionRule.objects.filter(code="claims-9y").exists()


def test_an_active_duplicate_is_refused_in_words_not_by_the_constraint_name(
    seeded: None,
) -> None:
    rule = RetentionRule.objects.get(code="claims-10y")
    duplicate = RetentionRule(
        **{**_form_of(rule), "code": "other", "record_type": rule.record_type}
    )
    duplicate.active = True
    with pytest.raises(Exception) as caught:
        duplicate.validate_constraints()
    assert "one_active_rule_per_record_type" not in str(caught.value)
    assert "already governs" in str(caught.value)


def test_a_change_needs_a_reason_and_a_name_that_follows_the_period(
    seeded: None, admin_user: User, client_for: ClientFor
) -> None:
    client = client_for(admin_user)
    rule = RetentionRule.objects.get(code="claims-10y")
    url = f"/retention/rules/{rule.pk}/edit/"
    form = client.get(url).content.decode()
    assert "<optgroup" not in form  # an existing rule's kind is fixed: its anchors only
    no_reason = _errors(client.post(url, _form_of(rule, period_years=9)).content.decode())
    assert any("Say why" in e for e in no_reason) or any("required" in e for e in no_reason)
    stale_name = client.post(url, _form_of(rule, period_years=9, reason="Shorter claims"))
    assert any("still says “10 years”" in e for e in _errors(stale_name.content.decode()))
    renamed = _form_of(rule, period_years=9, name="Claims: 9 years after falling due")
    renamed["legal_reference"] = str(renamed["legal_reference"]).replace("10 years", "9 years")
    response = client.post(url, {**renamed, "reason": "The limitation period is 9 years"})
    assert response.status_code == 302
    event = AuditEvent.objects.filter(target_type="retention.retentionrule").latest("sequence")
    assert event.details["reason"] == "The limitation period is 9 years"
    history = client.get(f"/retention/rules/{rule.pk}/").content.decode()
    assert "Reason: The limitation period is 9 years" in history


@pytest.mark.django_db(transaction=True)
@pytest.mark.browser
def test_the_anchor_list_follows_the_chosen_kind_in_the_browser(
    seeded: None, admin_user: User, page: Page, login_in_browser: LoginInBrowser
) -> None:
    RetentionRule.objects.filter(record_type__in=["subjects.claim", "subjects.prospect"]).update(
        active=False
    )
    login_in_browser(admin_user)
    page.goto("/retention/rules/new/?record_type=subjects.claim")
    anchor = page.get_by_label("Anchor")
    assert anchor.input_value() == "claim_fell_due"
    visible = page.locator("#id_anchor optgroup:not([hidden])")
    assert visible.count() == 1
    page.get_by_label("Applies to").select_option("subjects.prospect")
    assert anchor.input_value() == "prospect_latest"
    assert visible.count() == 1
    page.screenshot(path="/tmp/i16-polish-rule-form.png", full_page=True)
