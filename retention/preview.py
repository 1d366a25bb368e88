"""What the DPO sees before a purge: per rule what would go and what a hold keeps, who is
held, and every record that no rule in force governs (data without a retention rule is a
finding the DPO must see)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import models
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from retention.models import RetentionRule
from retention.periods import expires_on
from retention.registry import RecordType, registry
from retention.services.purge import rules_in_purge_order

SAMPLE_SIZE = 10


@dataclass
class RulePreview:
    rule: RetentionRule
    record_type: RecordType
    count: int
    held_count: int
    sample: list[dict[str, Any]] = field(default_factory=list)
    # Records past their period that a legal hold or a restriction keeps.
    held_sample: list[Any] = field(default_factory=list)


def _sample_rows(record_type: RecordType, rule: RetentionRule, records: list[Any]) -> list[Any]:
    anchors = record_type.anchors_of(records)
    rows = []
    for record in records:
        anchor = anchors[record.pk]
        period = record_type.period_for(record, rule.period)
        rows.append(
            {
                "record": record,
                "anchor": anchor,
                "expires_on": expires_on(anchor, period) if anchor else None,
            }
        )
    return rows


def preview_rule(rule: RetentionRule, *, as_of: dt.date, sample: int = SAMPLE_SIZE) -> RulePreview:
    record_type = registry.get(rule.record_type)
    due = record_type.due(period=rule.period, action=rule.action, as_of=as_of)
    everything = record_type.due(
        period=rule.period, action=rule.action, as_of=as_of, include_held=True
    )
    held = record_type.held(everything, as_of=as_of)
    return RulePreview(
        rule=rule,
        record_type=record_type,
        count=due.count(),
        held_count=held.count(),
        sample=_sample_rows(record_type, rule, list(due.order_by("pk")[:sample])),
        held_sample=_sample_rows(record_type, rule, list(held.order_by("pk")[:sample])),
    )


def purge_preview(*, as_of: dt.date) -> list[RulePreview]:
    return [preview_rule(rule, as_of=as_of) for rule in rules_in_purge_order()]


def purge_preview_counts(*, as_of: dt.date) -> list[tuple[RetentionRule, int]]:
    """What the purge as of `as_of` would remove, rule by rule, counted only (one query a
    rule): the dashboard's figure, the same predicate as the preview and the purge."""
    counts = []
    for rule in rules_in_purge_order():
        record_type = registry.get(rule.record_type)
        due = record_type.due(period=rule.period, action=rule.action, as_of=as_of)
        counts.append((rule, due.count()))
    return counts


def held_people(*, as_of: dt.date, limit: int = 50) -> dict[str, Any]:
    """Holds and restrictions: everything of theirs is skipped, whatever the rule says."""
    people = registry.holds.held_subjects(as_of=as_of)
    organisations = registry.holds.held_organisations(as_of=as_of)
    return {
        "subjects": list(people.order_by("pk")[:limit]),
        "subject_count": people.count(),
        "organisations": list(organisations.order_by("pk")[:limit]),
        "organisation_count": organisations.count(),
    }


# --- records no rule in force governs ---------------------------------------------------------

NO_RULE = "no_rule"
UNCONFIRMED = "unconfirmed"
ANCHOR_MISSING = "anchor_missing"


@dataclass
class UncoveredGroup:
    """Records of one model that nothing will ever purge, for one reason."""

    key: str
    model: type[models.Model]
    reason: str
    rule: RetentionRule | None
    records: QuerySet[Any]
    count: int = 0

    @property
    def model_name(self) -> str:
        return str(capfirst(self.model._meta.verbose_name_plural))

    @property
    def explanation(self) -> str:
        if self.reason == UNCONFIRMED and self.rule is not None:
            return _("Only “%(rule)s” covers them, and the DPO has not confirmed it.") % {
                "rule": self.rule.name
            }
        if self.reason == ANCHOR_MISSING and self.rule is not None:
            return _("“%(rule)s” covers them, but the day its period starts is not recorded.") % {
                "rule": self.rule.name
            }
        return _("No active rule covers them.")


def _among(queryset: QuerySet[Any]) -> Exists:
    """ "This row is in `queryset`", as a correlated EXISTS: PostgreSQL plans it as an anti or
    semi join. (A `pk IN (subquery)` over a million rows that does not fit in `work_mem` is
    rescanned for every row: hours instead of seconds.)"""
    return Exists(queryset.order_by().filter(pk=OuterRef("pk")))


# Counting a million people against every rule takes seconds (7 s at 1 000 000 on the 2-core
# machine), too long for every home page: the counts are kept this long, and recounted at
# once when a rule changes (the rules are part of the key).
UNCOVERED_CACHE_SECONDS = 600


def uncovered_groups(*, as_of: dt.date) -> list[UncoveredGroup]:
    """Per model with personal data, the records no rule in force governs, by reason: no
    rule covers them, only an unconfirmed rule does, or their anchor is missing. Counted
    set-based, one query per group, and the counts cached (`UNCOVERED_CACHE_SECONDS`)."""
    rules = {rule.record_type: rule for rule in RetentionRule.objects.active()}
    groups = _uncovered_querysets(rules, as_of=as_of)
    fingerprint = ";".join(
        f"{r.pk}:{r.confirmed}:{r.period_years}.{r.period_months}.{r.period_days}"
        for r in sorted(rules.values(), key=lambda rule: rule.pk)
    )
    key = "retention:uncovered:" + hashlib.sha256(f"{as_of}|{fingerprint}".encode()).hexdigest()
    counts: dict[str, int] | None = cache.get(key)
    if counts is None:
        counts = {group.key: group.records.count() for group in groups}
        cache.set(key, counts, UNCOVERED_CACHE_SECONDS)
    for group in groups:
        group.count = counts.get(group.key, 0)
    return [group for group in groups if group.count]


def _uncovered_querysets(
    rules: dict[str, RetentionRule], *, as_of: dt.date
) -> list[UncoveredGroup]:
    by_model: dict[str, list[RecordType]] = {}
    for record_type in registry.all():
        by_model.setdefault(record_type.model_label.lower(), []).append(record_type)
    groups = []
    for label, types in sorted(by_model.items()):
        model = types[0].model()
        base = model._default_manager.all()
        carrying = types[0].holds_personal_data(base)
        in_force = [rt for rt in types if rt.code in rules and rules[rt.code].confirmed]
        waiting = [rt for rt in types if rt.code in rules and not rules[rt.code].confirmed]
        ungoverned = carrying.order_by()
        for record_type in in_force:
            ungoverned = ungoverned.filter(~_among(record_type.governed(base, as_of=as_of)))
        for record_type in in_force:
            missing = record_type.anchor_missing(record_type.governed(base, as_of=as_of))
            groups.append(
                UncoveredGroup(
                    f"{label}:{ANCHOR_MISSING}:{record_type.code}",
                    model,
                    ANCHOR_MISSING,
                    rules[record_type.code],
                    carrying.order_by().filter(_among(missing)),
                )
            )
        no_rule = ungoverned
        for record_type in waiting:
            covered = _among(record_type.governed(base, as_of=as_of))
            groups.append(
                UncoveredGroup(
                    f"{label}:{UNCONFIRMED}:{record_type.code}",
                    model,
                    UNCONFIRMED,
                    rules[record_type.code],
                    ungoverned.filter(covered),
                )
            )
            no_rule = no_rule.filter(~covered)
        groups.append(UncoveredGroup(f"{label}:{NO_RULE}", model, NO_RULE, None, no_rule))
    return groups
