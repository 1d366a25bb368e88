"""The purge as the tests run it: one place, so every test runs it as the nightly job does;
and the proposal the tests use for a larger purge awaiting the DPO."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from core.audit import Actor
from retention.models import PurgeRun, RetentionRule, RuleChange
from retention.services.purge import run_purge
from retention.services.rules import rule_values, save_rule

TALLINN = ZoneInfo("Europe/Tallinn")


def purge(as_of: dt.date) -> PurgeRun:
    """Run the purge as of a day, at 02:00 Tallinn time that day (when the beat schedule
    runs it), on a frozen clock; the run must succeed."""
    with time_machine.travel(dt.datetime.combine(as_of, dt.time(2), tzinfo=TALLINN), tick=False):
        run = run_purge(as_of=as_of, dry_run=False, actor="test")
    assert run.status == "succeeded", run.note
    return run


def propose_nine_year_claims(actor: Actor) -> RuleChange:
    """An Admin's proposal to keep claims 9 years instead of 10: it enlarges the purge, so it
    waits for a DPO (a claim that fell due 9½ years ago is one of its extra records)."""
    rule = RetentionRule.objects.get(code="claims-10y")
    saved = save_rule(
        rule=rule,
        values=rule_values(rule)
        | {"period_years": 9, "name": "Claims: 9 years", "legal_reference": "LOA"},
        actor=actor,
        reason="Shorter",
    )
    assert saved.change is not None, "the proposal did not enlarge the purge"
    return saved.change
