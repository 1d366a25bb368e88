"""Creating and changing retention rules (Admin), and the DPO's confirmation of a change
that would make tonight's purge larger or that deactivates a rule in force."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import Actor, acting_user, record_event
from core.duties import second_pair_of_eyes_refusal
from retention.models import RetentionRule, RuleChange, RuleChangeStatus
from retention.periods import Period, covers_at_least, covers_at_most, next_purge_date
from retention.registry import registry

RULE_FIELDS = [
    "code",
    "name",
    "record_type",
    "anchor",
    "period_years",
    "period_months",
    "period_days",
    "action",
    "legal_reference",
    "description",
    "active",
]


def rule_values(rule: RetentionRule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in RULE_FIELDS}


def period_of(values: dict[str, Any]) -> Period:
    return Period(
        int(values.get("period_years") or 0),
        int(values.get("period_months") or 0),
        int(values.get("period_days") or 0),
    )


def rule_errors(values: dict[str, Any], *, instance: RetentionRule | None) -> dict[str, str]:
    """What is wrong with a rule, field by field, in words an Admin can act on."""
    errors: dict[str, str] = {}
    code = str(values.get("record_type") or "")
    if code not in registry:
        errors["record_type"] = _("Choose what the rule applies to from the list.")
        return errors
    record_type = registry.get(code)
    if values.get("anchor") not in record_type.anchors:
        errors["anchor"] = _("For %(type)s the anchor is %(anchors)s.") % {
            "type": record_type.label,
            "anchors": ", ".join(str(a) for a in record_type.anchors.values()),
        }
    if values.get("action") not in record_type.actions:
        errors["action"] = _("%(type)s can only be: %(actions)s.") % {
            "type": record_type.label,
            "actions": ", ".join(record_type.actions),
        }
    period = period_of(values)
    if period.is_zero:
        errors["period_years"] = _("Give a period: years, months or days.")
    elif record_type.min_period and not covers_at_least(period, record_type.min_period):
        errors["period_years"] = _("At least %(bound)s is required by law here. %(reference)s") % {
            "bound": record_type.min_period,
            "reference": record_type.bound_reference,
        }
    elif record_type.max_period and not covers_at_most(period, record_type.max_period):
        errors["period_years"] = _("At most %(bound)s is allowed here. %(reference)s") % {
            "bound": record_type.max_period,
            "reference": record_type.bound_reference,
        }
    if instance is not None and instance.pk and not period.is_zero and period != instance.period:
        # A name or reference that states the old period would mislead every later reader.
        old_words = str(instance.period)
        for field in ("name", "legal_reference"):
            if old_words in str(values.get(field) or ""):
                errors[field] = _(
                    "This still says “%(old)s”, but the period is now %(new)s: change it in "
                    "the same step."
                ) % {"old": old_words, "new": period}
    if values.get("active"):
        others = RetentionRule.objects.active().filter(record_type=code)
        if instance is not None and instance.pk:
            others = others.exclude(pk=instance.pk)
        other = others.first()
        if other is not None:
            errors["active"] = _(
                "“%(name)s” already governs %(type)s. Deactivate it first: one rule per "
                "kind of record, so that the longest period is always the one that applies."
            ) % {"name": other.name, "type": record_type.label}
    return errors


def due_tonight(values: dict[str, Any], *, as_of: dt.date, in_force: bool = True) -> int:
    """How many records a rule with these values would purge as of `as_of`."""
    if not in_force or not values.get("active") or values.get("record_type") not in registry:
        return 0
    record_type = registry.get(values["record_type"])
    return int(
        record_type.due(period=period_of(values), action=values["action"], as_of=as_of).count()
    )


@dataclass
class RuleSaved:
    rule: RetentionRule
    change: RuleChange | None  # set when the DPO must confirm first
    due_before: int
    due_after: int


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: values[k] for k in RULE_FIELDS if k in values}


def save_rule(
    *,
    rule: RetentionRule | None,
    values: dict[str, Any],
    actor: Actor,
    reason: str = "",
    now: dt.datetime | None = None,
) -> RuleSaved:
    """Create or change a rule. A change that would make tonight's purge larger is stored
    as a pending change and takes effect only when a DPO confirms it. A change says why: the
    reason goes into the rule's history."""
    errors = rule_errors(values, instance=rule)
    if rule is not None and not reason.strip():
        errors["reason"] = _("Say why the rule changes: the reason is kept in its history.")
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    as_of = next_purge_date(now)
    with transaction.atomic():
        if rule is not None:
            rule = RetentionRule.objects.select_for_update().get(pk=rule.pk)
        before = (
            0
            if rule is None
            else due_tonight(rule_values(rule), as_of=as_of, in_force=rule.in_force)
        )
        after = due_tonight(values, as_of=as_of)
        if rule is None:
            rule = RetentionRule(**_jsonable(values))
            # A new rule that would purge tonight waits, unconfirmed, for the DPO.
            rule.confirmed = after == 0
            rule.save()
            record_event(
                action="retention.rule.created",
                actor=actor,
                target=rule,
                details={"code": rule.code, "due_tonight": after, "confirmed": rule.confirmed},
            )
            change = None
            if after > 0:
                change = _propose(rule, {}, values, before, after, as_of, actor)
            return RuleSaved(rule, change, before, after)
        # Deactivating a rule in force stops its purge: data then outlives its period unless
        # another rule covers it (GDPR Art. 5(1)(e)), so the DPO decides, as for a larger purge.
        deactivating = rule.in_force and not values.get("active")
        if rule.in_force and (after > before or deactivating):
            previous = rule_values(rule)
            change = _propose(rule, previous, values, before, after, as_of, actor, reason)
            return RuleSaved(rule, change, before, after)
        changed = {k: v for k, v in _jsonable(values).items() if getattr(rule, k) != v}
        for name, value in changed.items():
            setattr(rule, name, value)
        rule.save()
        RuleChange.objects.pending().filter(rule=rule).update(
            status=RuleChangeStatus.WITHDRAWN, decided_at=now
        )
        record_event(
            action="retention.rule.changed",
            actor=actor,
            target=rule,
            details={
                "code": rule.code,
                "fields": sorted(changed),
                "due_tonight": after,
                "reason": reason.strip(),
            },
        )
        return RuleSaved(rule, None, before, after)


def _propose(
    rule: RetentionRule,
    previous: dict[str, Any],
    values: dict[str, Any],
    before: int,
    after: int,
    as_of: dt.date,
    actor: Actor,
    reason: str = "",
) -> RuleChange:
    RuleChange.objects.pending().filter(rule=rule).update(
        status=RuleChangeStatus.WITHDRAWN, decided_at=timezone.now()
    )
    change = RuleChange.objects.create(
        rule=rule,
        proposed=_jsonable(values),
        previous=_jsonable(previous),
        due_before=before,
        due_after=after,
        purge_date=as_of,
        proposed_by=acting_user(actor),  # an Admin's change: always a user
    )
    record_event(
        action="retention.rule.change_proposed",
        actor=actor,
        target=rule,
        details={
            "change": change.pk,
            "due_before": before,
            "due_after": after,
            "deactivation": is_deactivation(change),
            "reason": reason.strip(),
        },
    )
    return change


def is_deactivation(change: RuleChange) -> bool:
    """The proposal switches an active rule off."""
    return bool(change.previous.get("active")) and not change.proposed.get("active")


def confirm_change(
    *, change: RuleChange, actor: Actor, now: dt.datetime | None = None
) -> RuleChange:
    """The DPO confirms: the proposed values take effect (and a new rule starts to run)."""
    now = now or timezone.now()
    with transaction.atomic():
        change = RuleChange.objects.select_for_update().select_related("rule").get(pk=change.pk)
        if change.status != RuleChangeStatus.PENDING:
            raise ValidationError(_("This change has already been decided."))
        refusal = second_pair_of_eyes_refusal(actor=actor, involved=[change.proposed_by])
        if refusal is not None:
            raise ValidationError(refusal)
        rule = change.rule
        errors = rule_errors(change.proposed, instance=rule)
        if errors:
            raise ValidationError(list(errors.values()))
        for name, value in change.proposed.items():
            setattr(rule, name, value)
        rule.confirmed = True
        rule.confirmed_by = acting_user(actor)
        rule.confirmed_at = now
        rule.save()
        change.status = RuleChangeStatus.CONFIRMED
        change.decided_by = acting_user(actor)
        change.decided_at = now
        change.save(update_fields=["status", "decided_by", "decided_at"])
        record_event(
            action="retention.rule.change_confirmed",
            actor=actor,
            target=rule,
            details={
                "change": change.pk,
                "due_after": change.due_after,
                "proposed_by": change.proposed_by.get_username() if change.proposed_by else "",
                "confirmed_by": acting_user(actor).get_username(),
            },
        )
    return change


def reject_change(
    *, change: RuleChange, actor: Actor, now: dt.datetime | None = None
) -> RuleChange:
    now = now or timezone.now()
    with transaction.atomic():
        change = RuleChange.objects.select_for_update().get(pk=change.pk)
        if change.status != RuleChangeStatus.PENDING:
            raise ValidationError(_("This change has already been decided."))
        change.status = RuleChangeStatus.REJECTED
        change.decided_by = acting_user(actor)
        change.decided_at = now
        change.save(update_fields=["status", "decided_by", "decided_at"])
        record_event(
            action="retention.rule.change_rejected",
            actor=actor,
            target_type="retention.retentionrule",
            target_id=change.rule_id,
            details={"change": change.pk},
        )
    return change


def confirm_rule(
    *, rule: RetentionRule, actor: Actor, now: dt.datetime | None = None
) -> RetentionRule:
    """The DPO confirms a rule that was seeded or created unconfirmed: from now on it runs."""
    now = now or timezone.now()
    with transaction.atomic():
        rule = RetentionRule.objects.select_for_update().get(pk=rule.pk)
        if rule.confirmed:
            raise ValidationError(_("This rule is already confirmed."))
        if RuleChange.objects.pending().filter(rule=rule).exists():
            raise ValidationError(_("Decide the pending change to this rule first."))
        due = due_tonight(rule_values(rule), as_of=next_purge_date(now))
        rule.confirmed = True
        rule.confirmed_by = acting_user(actor)
        rule.confirmed_at = now
        rule.save(update_fields=["confirmed", "confirmed_by", "confirmed_at", "updated_at"])
        record_event(
            action="retention.rule.confirmed",
            actor=actor,
            target=rule,
            details={"code": rule.code, "due_tonight": due},
        )
    return rule
