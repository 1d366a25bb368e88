"""Reads of the retention app: deadlines, the purge preview, findings, history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.paginator import Page
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.expressions import row_counts
from core.fields import personal_data_fields
from core.models import AuditEvent
from core.pagination import CountedPaginator
from core.timeutil import legal_today
from retention import lastrun
from retention.deadlines import Deadline, deadlines_of
from retention.models import PurgeBatch, PurgeRun, RetentionRule, RuleChange
from retention.periods import Period, next_purge_date
from retention.preview import uncovered_groups
from retention.registry import RecordType, registry

SAMPLE_SIZE = 10


# --- the subject page ------------------------------------------------------------------------


@dataclass
class DeadlineLine:
    description: str
    model_label: str
    record_id: int
    deadline: Deadline | None
    state: str  # "kept", "due", "held", "done", "no rule"
    note: str = ""


@dataclass
class DeadlineGroup:
    """One kind of record of a person: a page of its lines and how many there are in all."""

    label: str
    lines: list[DeadlineLine]
    page: Page[Any]
    # The page's parameter on the person's page, one per kind of record.
    param: str

    @property
    def total(self) -> int:
        return self.page.paginator.count

    @property
    def more(self) -> int:
        return self.total - len(self.lines)


SUBJECT_RECORDS_LIMIT = 25


def record_types_of_subjects() -> list[RecordType]:
    """One record type per primary model, the person's own row first."""
    seen: dict[str, RecordType] = {}
    order = sorted(registry.all(), key=lambda rt: (rt.subject_path != "pk", rt.purge_order))
    for record_type in order:
        seen.setdefault(record_type.model_label.lower(), record_type)
    return list(seen.values())


@dataclass
class KindOfRecords:
    """The records of one kind a person has, and how many."""

    record_type: RecordType
    records: models.QuerySet[Any]
    total: int

    @property
    def label(self) -> str:
        return str(capfirst(self.record_type.model()._meta.verbose_name_plural))


def kinds_of_records(subject: Any) -> list[KindOfRecords]:
    """Each kind of record the person has, with how many, the person's own row first: one
    query, however many kinds and records (a kind they have none of costs no more)."""
    record_types = record_types_of_subjects()
    of_subject = [rt.records_of_subject(subject.pk).order_by("pk") for rt in record_types]
    totals = row_counts(of_subject)
    return [
        KindOfRecords(record_type, records, total)
        for record_type, records, total in zip(record_types, of_subject, totals, strict=True)
        if total
    ]


def subject_deadlines(
    subject: Any,
    *,
    as_of: dt.date | None = None,
    limit: int = SUBJECT_RECORDS_LIMIT,
    pages: Mapping[str, Any] | None = None,
) -> list[DeadlineGroup]:
    """Each record of a person, its rule, anchor and the day it goes (DPO's subject page):
    a fixed number of queries per kind of record, however many records the person has.
    `limit` lines of each kind, the page `pages[group.param]` (the first by default)."""
    as_of = as_of or legal_today()
    rules = list(RetentionRule.objects.in_force())
    groups = []
    for kind in kinds_of_records(subject):
        record_type, records_qs, total = kind.record_type, kind.records, kind.total
        param = f"deadlines_{record_type.model_label.lower().replace('.', '_')}_page"
        paginator = CountedPaginator(records_qs, limit, count=total)
        page = paginator.get_page((pages or {}).get(param))
        records = list(page.object_list)
        deadlines = deadlines_of(records, rules=rules, as_of=as_of)
        notes = record_type.line_notes(records)
        lines = [
            _line(record_type.describe(r), r, deadlines[r.pk], notes.get(r.pk, ""), as_of)
            for r in records
        ]
        groups.append(DeadlineGroup(label=kind.label, lines=lines, page=page, param=param))
    return groups


def _line(
    description: str, record: Any, deadline: Deadline | None, note: str, as_of: dt.date
) -> DeadlineLine:
    done = getattr(record, "anonymised_at", None) is not None
    if done:
        state = "done"
    elif deadline is None:
        state = "no rule"
    elif deadline.held:
        state = "held"
    elif deadline.expires_on is not None and deadline.expires_on < as_of:
        state = "due"
    else:
        state = "kept"
    return DeadlineLine(
        description=str(description),
        model_label=record._meta.label_lower,
        record_id=record.pk,
        deadline=deadline,
        state=state,
        note=note,
    )


def purge_history_for_subject(subject_id: int) -> list[dict[str, Any]]:
    """What happened to subject X, and under which rule: the batch log and erasures."""
    entries: list[dict[str, Any]] = []
    for batch in PurgeBatch.objects.touching_subject(subject_id).select_related("run"):
        kept = f",{subject_id}," in batch.kept_ids
        entries.append(
            {
                "when": batch.created_at,
                "rule": batch.rule_code,
                "run": batch.run,
                "action": batch.action,
                "kept": kept,
            }
        )
    events = AuditEvent.objects.filter(
        target_type="subjects.datasubject",
        target_id=str(subject_id),
        action__in=["retention.subject.anonymised", "retention.subject.kept_for_claims"],
    )
    for event in events:
        entries.append(
            {
                "when": event.occurred_at,
                "rule": event.details.get("reason", ""),
                "run": None,
                "action": "erasure",
                "kept": event.action.endswith("kept_for_claims"),
            }
        )
    return sorted(entries, key=lambda e: e["when"])


@dataclass(frozen=True)
class GoverningRule:
    """A rule in force over some record of a person, said the way a notice says it."""

    rule: RetentionRule
    # Lazy, like `anchor`: what the rule covers ("Prospect data …") in the reader's language.
    label: str | Promise
    period: Period
    # When the period starts ("the day the contract ended"), lazy: a notice renders it in
    # the person's language.
    anchor: str | Promise


def governing_rule(rule: RetentionRule, record_type: RecordType) -> GoverningRule:
    return GoverningRule(
        rule=rule,
        label=record_type.label,
        period=rule.period,
        anchor=record_type.anchors.get(rule.anchor, ""),
    )


def retention_periods() -> list[GoverningRule]:
    """Every rule the purge executes, said as the notices say it: the retention periods of the
    record of processing (GDPR Art. 30(1)(f)), read from the rules themselves so the record
    cannot disagree with what the nightly purge does (one query)."""
    return [
        governing_rule(rule, registry.get(rule.record_type))
        for rule in RetentionRule.objects.in_force().order_by("code")
        if rule.record_type in registry
    ]


def period_in_force(record_type: str) -> Period | None:
    """How long records of a type are kept, as pages and letters state it: the period of the
    rule in force that governs the type (an Admin may change it; None: no rule in force)."""
    rule = RetentionRule.objects.in_force().filter(record_type=record_type).first()
    return rule.period if rule is not None else None


def rules_governing_subjects(
    subject_ids: Sequence[int], *, as_of: dt.date | None = None
) -> dict[int, list[GoverningRule]]:
    """For each person, the rules in force that govern any of their records today (GDPR
    Art. 14(2)(a): how long the data is kept). Set-based for notice batches: one query for
    the rules and one per rule, whatever the number of people."""
    as_of = as_of or legal_today()
    governing: dict[int, list[GoverningRule]] = {pk: [] for pk in subject_ids}
    for rule in RetentionRule.objects.in_force().order_by("code"):
        if rule.record_type not in registry:
            continue
        record_type = registry.get(rule.record_type)
        path = record_type.subject_path
        if path is None:
            continue
        records = record_type.model()._default_manager.filter(**{f"{path}__in": subject_ids})
        holders = (
            record_type.applicable(records, as_of=as_of)
            .order_by()
            .values_list(path, flat=True)
            .distinct()
        )
        line = governing_rule(rule, record_type)
        for pk in holders:
            governing[pk].append(line)
    return governing


@dataclass(frozen=True)
class Finding:
    kind: str  # "uncovered", "no active rule", "unconfirmed", "pending change"
    text: str
    url: str = ""


def personal_data_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if personal_data_fields(m)]


def coverage_findings(
    models_with_personal_data: Iterable[type[models.Model]] | None = None,
) -> list[Finding]:
    """Models with personal fields that no active rule covers and no exemption states."""
    found = []
    active = set(RetentionRule.objects.active().values_list("record_type", flat=True))
    for model in models_with_personal_data or personal_data_models():
        label = model._meta.label_lower
        if registry.exemption(label) is not None:
            continue
        covering = registry.covering(label)
        if not covering:
            found.append(
                Finding(
                    "uncovered",
                    _("%(model)s holds personal data but no record type declares it.")
                    % {"model": model._meta.label},
                )
            )
        elif not any(rt.code in active for rt in covering):
            found.append(
                Finding(
                    "no active rule",
                    _("%(model)s: no active rule covers it (record types: %(types)s).")
                    % {"model": model._meta.label, "types": ", ".join(rt.code for rt in covering)},
                )
            )
    return found


def findings(*, as_of: dt.date | None = None) -> list[Finding]:
    found = coverage_findings()
    for group in uncovered_groups(as_of=as_of or tonights_as_of()):
        found.append(
            Finding(
                "records",
                ngettext(
                    "%(n)d record of %(model)s that no rule in force governs: %(why)s",
                    "%(n)d records of %(model)s that no rule in force governs: %(why)s",
                    group.count,
                )
                % {"n": group.count, "model": group.model_name.lower(), "why": group.explanation},
                reverse("retention:uncovered") + "?" + urlencode({"group": group.key}),
            )
        )
    for rule in RetentionRule.objects.unconfirmed():
        found.append(
            Finding(
                "unconfirmed",
                _("Rule “%(name)s” (%(period)s) is not confirmed by the DPO, so it does not run.")
                % {"name": rule.name, "period": rule.period},
                reverse("retention:rule_detail", args=[rule.pk]),
            )
        )
    for change in RuleChange.objects.pending().select_related("rule"):
        found.append(
            Finding(
                "pending change",
                _(
                    "A change to “%(name)s” would purge %(n)d more records tonight; "
                    "it awaits the DPO."
                )
                % {"name": change.rule.name, "n": change.enlargement},
                reverse("retention:rule_detail", args=[change.rule_id]),
            )
        )
    return found


def last_successful_run() -> PurgeRun | None:
    return PurgeRun.objects.succeeded().order_by("-finished_at").first()


def purge_is_late(*, now: dt.datetime | None = None) -> bool:
    """No purge has succeeded for 36 hours — counting, on a portal that has never purged,
    from when its retention tables were created, so a fresh install is not in alarm."""
    return lastrun.purge_is_late(now=now or timezone.now(), installed_at=retention_installed_at())


_installed_at: dt.datetime | None = None


def retention_installed_at() -> dt.datetime | None:
    """When the retention tables were created; it never changes, so it is read once per
    process (the alarm runs on every page, which has a query budget)."""
    global _installed_at
    if _installed_at is None:
        from django.db.migrations.recorder import MigrationRecorder

        _installed_at = (
            MigrationRecorder.Migration.objects.filter(app="retention", name="0001_initial")
            .values_list("applied", flat=True)
            .first()
        )
    return _installed_at


def tonights_as_of(now: dt.datetime | None = None) -> dt.date:
    return next_purge_date(now)
