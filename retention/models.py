"""Retention rules as data, proposed rule changes awaiting a DPO, and the purge run log."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.appendonly import AppendOnlyModel, AppendOnlyQuerySet
from retention.periods import Period, expires_on
from retention.registry import registry


class RuleAction(models.TextChoices):
    ANONYMISE = "anonymise", _("Anonymise")
    DELETE = "delete", _("Delete")


class RetentionRuleQuerySet(models.QuerySet["RetentionRule"]):
    def active(self) -> RetentionRuleQuerySet:
        return self.filter(active=True)

    def in_force(self) -> RetentionRuleQuerySet:
        """Rules the purge executes: active and confirmed by a DPO."""
        return self.filter(active=True, confirmed=True)

    def unconfirmed(self) -> RetentionRuleQuerySet:
        return self.filter(active=True, confirmed=False)


class RetentionRule(models.Model):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    record_type = models.CharField(_("applies to"), max_length=100, db_index=True)
    anchor = models.CharField(_("anchor"), max_length=50)
    period_years = models.PositiveSmallIntegerField(_("years"), default=0)
    period_months = models.PositiveSmallIntegerField(_("months"), default=0)
    period_days = models.PositiveIntegerField(_("days"), default=0)
    action = models.CharField(
        _("action"), max_length=20, choices=RuleAction.choices, default=RuleAction.ANONYMISE
    )
    legal_reference = models.CharField(_("legal reference"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    # An unconfirmed rule does not run; it is a finding until a DPO confirms it.
    confirmed = models.BooleanField(_("confirmed by the DPO"), default=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RetentionRuleQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        constraints = [
            # Longest period wins only if one rule governs a record type at a time.
            models.UniqueConstraint(
                fields=["record_type"],
                condition=models.Q(active=True),
                name="one_active_rule_per_record_type",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("retention:rule_detail", args=[self.pk])

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        """The one-active-rule constraint in words (a form must never show its name)."""
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError:
            raise ValidationError(
                {
                    "active": _(
                        "Another active rule already governs this kind of record: change that "
                        "rule instead, or save this one inactive."
                    )
                }
            ) from None

    @property
    def period(self) -> Period:
        return Period(self.period_years, self.period_months, self.period_days)

    @property
    def in_force(self) -> bool:
        return self.active and self.confirmed

    def expires_on(self, anchor: dt.date) -> dt.date:
        return expires_on(anchor, self.period)


class RuleChangeStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the DPO")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Superseded")


class RuleChangeQuerySet(models.QuerySet["RuleChange"]):
    def pending(self) -> RuleChangeQuerySet:
        return self.filter(status=RuleChangeStatus.PENDING)


class RuleChange(models.Model):
    """A change to a rule that would make tonight's purge larger: it takes effect only once
    a DPO confirms it."""

    rule = models.ForeignKey(RetentionRule, on_delete=models.PROTECT, related_name="changes")
    proposed = models.JSONField(_("proposed values"))
    previous = models.JSONField(_("values before"))
    due_before = models.PositiveIntegerField(_("due tonight before"))
    due_after = models.PositiveIntegerField(_("due tonight after"))
    purge_date = models.DateField(_("for the purge as of"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RuleChangeStatus.choices,
        default=RuleChangeStatus.PENDING,
        db_index=True,
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = RuleChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("rule change")
        constraints = [
            models.UniqueConstraint(
                fields=["rule"],
                condition=models.Q(status="pending"),
                name="one_pending_change_per_rule",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule.code}: +{self.enlargement}"

    @property
    def enlargement(self) -> int:
        return self.due_after - self.due_before


class PurgeRunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class PurgeRunQuerySet(models.QuerySet["PurgeRun"]):
    def real(self) -> PurgeRunQuerySet:
        return self.filter(dry_run=False)

    def running(self) -> PurgeRunQuerySet:
        return self.real().filter(status=PurgeRunStatus.RUNNING)

    def succeeded(self) -> PurgeRunQuerySet:
        return self.real().filter(status=PurgeRunStatus.SUCCEEDED)

    def stale(self, *, now: dt.datetime) -> PurgeRunQuerySet:
        limit = now - dt.timedelta(seconds=settings.PURGE_STALE_AFTER_SECONDS)
        return self.running().filter(heartbeat_at__lt=limit)


class PurgeRun(models.Model):
    status = models.CharField(
        _("status"), max_length=20, choices=PurgeRunStatus.choices, db_index=True
    )
    as_of = models.DateField(_("as of"))
    dry_run = models.BooleanField(_("dry run"), default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(_("started by"), max_length=100, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now, db_index=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # {rule code: {model label: rows}}; summed from the committed batches.
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    total = models.PositiveBigIntegerField(_("total rows"), default=0)
    # Rules whose audit summary this run has written (so a takeover writes the rest once).
    summarised_rules = models.JSONField(default=list, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = PurgeRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("purge run")
        constraints = [
            # The running marker: at most one real run at a time, on every database.
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="running", dry_run=False),
                name="one_running_purge",
            )
        ]

    def __str__(self) -> str:
        return f"purge #{self.pk} as of {self.as_of} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("retention:run_detail", args=[self.pk])

    @property
    def duration(self) -> dt.timedelta | None:
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def started_by(self) -> str:
        if self.actor_id is not None and self.actor is not None:
            return str(self.actor.get_username())
        return self.actor_label


def id_list(ids: Any) -> str:
    """`,1,2,3,`: a `contains` lookup on `,X,` finds a record on every database."""
    return "," + ",".join(map(str, ids)) + "," if ids else ""


class PurgeBatchQuerySet(models.QuerySet["PurgeBatch"]):
    def touching_subject(self, subject_id: int) -> PurgeBatchQuerySet:
        return self.filter(subject_ids__contains=f",{int(subject_id)},")


class PurgeBatch(models.Model):
    """One committed batch: written in the same transaction as its UPDATE/DELETE, so the log
    and the data never disagree, whatever moment the process is killed."""

    run = models.ForeignKey(PurgeRun, on_delete=models.PROTECT, related_name="batches")
    rule = models.ForeignKey(RetentionRule, on_delete=models.PROTECT, related_name="+")
    rule_code = models.CharField(max_length=60)
    record_type = models.CharField(max_length=100)
    action = models.CharField(max_length=20, choices=RuleAction.choices)
    counts = models.JSONField(default=dict)
    rows = models.PositiveIntegerField(default=0)
    object_ids = models.TextField(_("primary record ids"), blank=True)
    subject_ids = models.TextField(_("data subject ids"), blank=True)
    kept_ids = models.TextField(_("kept for another purpose"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PurgeBatchQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("purge batch")
        verbose_name_plural = _("purge batches")

    def __str__(self) -> str:
        return f"batch {self.pk} of run {self.run_id}: {self.rule_code} {self.rows}"


def ids_of(id_list_text: str) -> list[int]:
    """The ids of an `id_list` text, in their order."""
    return [int(pk) for pk in id_list_text.strip(",").split(",") if pk]


class ErasureAction(models.TextChoices):
    ANONYMISE = "anonymise", _("Anonymise")
    DELETE = "delete", _("Delete")
    DEFER = "defer", _("Out of use; erased when nothing keeps it")


class ErasureSource(models.TextChoices):
    PURGE = "purge", _("Retention purge")
    ERASURE = "erasure", _("Erasure on request or objection")
    # Carried out by the portal in a system's own database (`details` holds the plan).
    PLATFORM = "platform", _("Erasure in a system's own database")


class ErasureEntryQuerySet(AppendOnlyQuerySet["ErasureEntry"]):
    def since(self, moment: dt.datetime) -> ErasureEntryQuerySet:
        """In ledger order: the order the erasures were made in."""
        return self.filter(recorded_at__gte=moment).order_by("recorded_at", "id")


ErasureEntryManager = models.Manager.from_queryset(ErasureEntryQuerySet)


class ErasureEntry(AppendOnlyModel):
    """One erasure in the erasure ledger, written in the transaction that erases and before
    its statements run, so no erasure exists without its entry. Ids, codes and a reason:
    never personal data. A restored backup loses the erasures made after it;
    `manage.py replay_erasures` makes them again from these entries (and from their copy
    outside the database, `retention.ledger`).

    No foreign keys: an entry replayed into a restored database may name a purge run or rows
    that the backup never held, and must still be stored. `uuid` identifies it across the
    database and the copy (ids start again from the backup's after a restore)."""

    uuid = models.UUIDField(_("entry"), default=uuid.uuid4, unique=True, editable=False)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, db_index=True)
    source = models.CharField(_("source"), max_length=20, choices=ErasureSource.choices)
    record_type = models.CharField(_("record type"), max_length=100)
    action = models.CharField(_("action"), max_length=20, choices=ErasureAction.choices)
    rule_code = models.CharField(_("rule"), max_length=60, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    purge_run = models.PositiveBigIntegerField(_("purge run"), null=True, blank=True)
    object_ids = models.TextField(_("primary record ids"))
    # An erasure in a system's own database: the system, the manifest's version and the plan
    # (per table: the rows' keys and what was done), so it can be made again after a restore
    # of that database's backup. Keys and the manifest's fixed values only.
    details = models.JSONField(_("details"), null=True, blank=True)

    objects: ClassVar[ErasureEntryManager[ErasureEntry]] = ErasureEntryManager()

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("erasure ledger entry")
        verbose_name_plural = _("erasure ledger")

    def __str__(self) -> str:
        kind = registry.get(self.record_type).label if self.record_type in registry else ""
        what = f"{kind or self.record_type}: {self.get_action_display()}"
        return f"{self.recorded_at:%Y-%m-%d %H:%M} {what}"

    @property
    def ids(self) -> list[int]:
        return ids_of(self.object_ids)


class PurgePause(models.Model):
    """A pause of the nightly purge: who paused it, when and why, and who resumed it. While
    one is open the beat schedule's entry is disabled and every page that speaks of tonight's
    purge says so (`retention.pause`)."""

    paused_at = models.DateTimeField(_("paused at"))
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("paused by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("reason"))
    resumed_at = models.DateTimeField(_("resumed at"), null=True, blank=True)
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resumed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-paused_at", "-id"]
        verbose_name = _("pause of the nightly purge")
        verbose_name_plural = _("pauses of the nightly purge")

    def __str__(self) -> str:
        return f"purge paused at {self.paused_at:%Y-%m-%d %H:%M}"
