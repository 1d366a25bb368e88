"""What other apps do while the purge works: before a batch's records go, and when it has
finished a rule in a run (the retention app knows no app that registers here)."""

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


# Called in each batch's transaction before its records are erased, with the ids of the
# people the batch holds: `hook(run=PurgeRun, rule=RetentionRule, subject_ids=list[int])` —
# what must be read of them before they are gone (how a system finds them) is read here.
BatchPurging = Callable[..., Any]
before_batch_purged: list[BatchPurging] = []


def register_before_batch_purged(hook: BatchPurging) -> None:
    if hook not in before_batch_purged:
        before_batch_purged.append(hook)
