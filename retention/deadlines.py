"""When each record goes: the rule in force that governs it, its anchor and period, or what
the rule waits for (one place: the person's page, the access report, the erasure preview)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef

from core.timeutil import legal_today
from retention.models import RetentionRule
from retention.periods import Period, expires_on
from retention.registry import RecordType, registry


@dataclass(frozen=True)
class Deadline:
    rule: RetentionRule
    record_type: RecordType
    anchor: dt.date | None  # None: no anchor yet (a running trial)
    period: Period
    expires_on: dt.date | None
    held: bool
    # Governed but not yet counting: the rule's period cannot run out while this stands
    # (the record type's `waiting_for`), or the anchor is still to come.
    waiting: bool = False


def _rules_by_model(rules: Iterable[RetentionRule]) -> dict[str, list[tuple[RetentionRule, Any]]]:
    found: dict[str, list[tuple[RetentionRule, Any]]] = {}
    for rule in rules:
        if rule.record_type in registry:
            record_type = registry.get(rule.record_type)
            found.setdefault(record_type.model_label.lower(), []).append((rule, record_type))
    return found


def _longest(deadlines: Iterable[Deadline]) -> Deadline | None:
    # Longest period wins; no end yet (running trial) is the longest of all.
    return max(
        deadlines,
        key=lambda d: (d.expires_on is None, d.expires_on or dt.date.min),
        default=None,
    )


@dataclass(frozen=True)
class _Standing:
    applicable: set[Any]
    awaiting: set[Any]
    held: set[Any]


def _standing(record_type: RecordType, these: models.QuerySet[Any], *, as_of: dt.date) -> _Standing:
    """Which rows the rule applies to, which it awaits and which a hold keeps: one query."""
    one = these.model._default_manager.filter(pk=OuterRef("pk"))
    flags = {
        "_applies": Exists(record_type.applicable(one, as_of=as_of)),
        "_held": Exists(record_type.held(one, as_of=as_of)),
    }
    if record_type.awaits:
        flags["_awaits"] = Exists(record_type.awaiting(one, as_of=as_of))
    standing = _Standing(set(), set(), set())
    for row in these.annotate(**flags).values("pk", *flags):
        if row["_applies"]:
            standing.applicable.add(row["pk"])
        if row.get("_awaits"):
            standing.awaiting.add(row["pk"])
        if row["_held"]:
            standing.held.add(row["pk"])
    return standing


def deadlines_of(
    records: Sequence[models.Model],
    *,
    rules: Iterable[RetentionRule] | None = None,
    as_of: dt.date | None = None,
) -> dict[Any, Deadline | None]:
    """The day each record goes: `anchor + period` under the rule in force that governs it,
    the longest when several do (None: no rule governs it, e.g. a paying client's person).
    A record the rule awaits (a request still open, an invoice that is evidence for an open
    claim: `RecordType.awaiting`) has no day yet: `waiting`, with the rule and its period.
    The records are of one model; a fixed number of queries per rule, whatever their number."""
    if not records:
        return {}
    rules = list(RetentionRule.objects.in_force() if rules is None else rules)
    as_of = as_of or legal_today()
    model = type(records[0])
    candidates: dict[Any, list[Deadline]] = {record.pk: [] for record in records}
    for rule, record_type in _rules_by_model(rules).get(model._meta.label_lower, []):
        these = model._default_manager.filter(pk__in=list(candidates))
        standing = _standing(record_type, these, as_of=as_of)
        applicable, awaiting = standing.applicable, standing.awaiting
        governed_ids = applicable | awaiting
        if not governed_ids:
            continue
        governed = [record for record in records if record.pk in governed_ids]
        anchors = record_type.anchors_of(governed)
        for record in governed:
            anchor = anchors[record.pk]
            period = record_type.period_for(record, rule.period)
            counting = record.pk in applicable and record.pk not in awaiting
            candidates[record.pk].append(
                Deadline(
                    rule=rule,
                    record_type=record_type,
                    anchor=anchor,
                    period=period,
                    expires_on=expires_on(anchor, period) if anchor and counting else None,
                    held=record.pk in standing.held,
                    waiting=not counting,
                )
            )
    return {pk: _longest(found) for pk, found in candidates.items()}


def retention_deadline(
    record: models.Model,
    *,
    rules: Iterable[RetentionRule] | None = None,
    as_of: dt.date | None = None,
) -> Deadline | None:
    """`deadlines_of` for one record."""
    return deadlines_of([record], rules=rules, as_of=as_of)[record.pk]
