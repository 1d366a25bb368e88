"""Deactivating a retention rule in force is a proposal a DPO confirms, like a change that
enlarges the purge: switching a rule off keeps data past its period."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.models import AuditEvent
from retention.models import RetentionRule, RuleChange
from retention.services import rules as rule_services
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 1, 15, 0, tzinfo=ZoneInfo("Europe/Tallinn"))


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def claims_form(claims: RetentionRule, **overrides: Any) -> dict[str, Any]:
    data = {
        **{name: getattr(claims, name) for name in rule_services.RULE_FIELDS},
        "active": "on",
        "reason": "The claims are settled",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_switching_a_rule_off_waits_for_the_dpo_and_is_audited(
    seeded: None, admin_user: Any, dpo: Any, client_for: Any
) -> None:
    f.ClaimFactory.create(fell_due_on=dt.date(2014, 1, 1), closed_on=dt.date(2014, 6, 1))
    claims = RetentionRule.objects.get(code="claims-10y")
    form = claims_form(claims)
    del form["active"]  # the unticked box
    response = client_for(admin_user).post(f"/retention/rules/{claims.pk}/edit/", form, follow=True)
    page = response.content.decode()
    assert "Saved as a proposal: deactivating a rule in force stops its purge" in page
    assert "(1 record is due tonight)" in page
    claims.refresh_from_db()
    assert claims.active and claims.in_force  # still running tonight
    change = RuleChange.objects.pending().get(rule=claims)
    assert change.proposed["active"] is False and change.previous["active"] is True
    proposed = AuditEvent.objects.get(action="retention.rule.change_proposed")
    assert proposed.actor == admin_user
    assert proposed.details["deactivation"] is True
    assert (
        "deactivation pending" in client_for(admin_user).get("/retention/rules/").content.decode()
    )

    dpo_client = client_for(dpo)
    detail = dpo_client.get(f"/retention/rules/{claims.pk}/").content.decode()
    assert "This deactivates the rule: its purge stops" in detail
    assert "Confirm: deactivate the rule" in detail
    dpo_client.post(f"/retention/changes/{change.pk}/decide/", {"decision": "confirm"})
    claims.refresh_from_db()
    assert not claims.active
    assert AuditEvent.objects.filter(action="retention.rule.change_confirmed", actor=dpo).exists()


def test_the_dpo_may_reject_a_deactivation(seeded: None, admin_user: Any, dpo: Any) -> None:
    claims = RetentionRule.objects.get(code="claims-10y")
    values = rule_services.rule_values(claims) | {"active": False}
    saved = rule_services.save_rule(rule=claims, values=values, actor=admin_user, reason="Settled")
    assert saved.change is not None and rule_services.is_deactivation(saved.change)
    rule_services.reject_change(change=saved.change, actor=dpo)
    claims.refresh_from_db()
    assert claims.active and claims.in_force


def test_switching_off_a_rule_that_is_not_in_force_takes_effect_at_once(
    seeded: None, admin_user: Any
) -> None:
    rule = RetentionRule.objects.unconfirmed().first()
    assert rule is not None  # the seeded former-clients rules wait for the DPO
    values = rule_services.rule_values(rule) | {"active": False}
    saved = rule_services.save_rule(rule=rule, values=values, actor=admin_user, reason="Not needed")
    assert saved.change is None
    rule.refresh_from_db()
    assert not rule.active
    assert AuditEvent.objects.filter(action="retention.rule.changed", actor=admin_user).exists()
