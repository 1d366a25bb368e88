"""What other apps do when the purge has finished a rule in a run (the retention app knows no
app that registers here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Called once per rule per real run that removed something, inside the transaction that
# records the rule's summary: `hook(run=PurgeRun, rule=RetentionRule, records=int)`.
RulePurged = Callable[..., Any]
after_rule_purged: list[RulePurged] = []


def register_after_rule_purged(hook: RulePurged) -> None:
    if hook not in after_rule_purged:
        after_rule_purged.append(hook)
