"""Every record behind a count the DPO is asked to trust: all the
records a rule would purge as of a day, and the extra records a proposed change would add,
as querysets a page paginates and a CSV streams."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from retention.models import RetentionRule, RuleChange
from retention.periods import Period, expires_on
from retention.registry import RecordType, registry
from retention.services.rules import period_of

# Rows of the CSV read per query: the anchors of one chunk come in one query per anchor.
CSV_CHUNK = 500


def due_under_rule(rule: RetentionRule, *, as_of: dt.date) -> QuerySet[Any]:
    """What the purge as of `as_of` would act on under `rule` (holds excluded), by id."""
    record_type = registry.get(rule.record_type)
    return record_type.due(period=rule.period, action=rule.action, as_of=as_of).order_by("pk")


def _due_under_values(values: dict[str, Any], *, as_of: dt.date) -> QuerySet[Any] | None:
    if not values.get("active") or values.get("record_type") not in registry:
        return None
    record_type = registry.get(values["record_type"])
    return record_type.due(period=period_of(values), action=values["action"], as_of=as_of)


def extra_under_change(change: RuleChange) -> QuerySet[Any]:
    """The records the change would purge as of its day that the rule as it stands would not."""
    after = _due_under_values(change.proposed, as_of=change.purge_date)
    if after is None:
        return registry.get(change.rule.record_type).model()._default_manager.none()
    before = _due_under_values(change.previous, as_of=change.purge_date)
    if before is not None and change.rule.in_force:
        after = after.filter(~Exists(before.order_by().filter(pk=OuterRef("pk"))))
    return after.order_by("pk")


def record_rows(
    record_type: RecordType, period: Period, records: Iterable[Any]
) -> list[dict[str, Any]]:
    """Each record with its anchor and the last day it is kept."""
    records = list(records)
    anchors = record_type.anchors_of(records)
    rows = []
    for record in records:
        anchor = anchors.get(record.pk)
        kept = expires_on(anchor, record_type.period_for(record, period)) if anchor else None
        rows.append({"record": record, "anchor": anchor, "expires_on": kept})
    return rows


def chunked_rows(
    record_type: RecordType, period: Period, records: QuerySet[Any]
) -> Iterator[dict[str, Any]]:
    """`record_rows` over a queryset of any length, a chunk at a time (for the CSV)."""
    last = 0
    while True:
        chunk = list(records.filter(pk__gt=last)[:CSV_CHUNK])
        if not chunk:
            return
        yield from record_rows(record_type, period, chunk)
        last = chunk[-1].pk
