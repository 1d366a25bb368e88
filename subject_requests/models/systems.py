"""The part of a right the systems outside the portal carry out (GDPR Art. 17, 19):
one task per system that holds the person's data, for its owner or its webhook, and one Art.
19 notice per recipient that received it, each with its status and evidence."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedJSONField, EncryptedTextField
from core.heartbeat import is_stale, stale_before
from subject_requests.choices import UNRESOLVED_TASKS, Operation, TaskCause, TaskKind, TaskStatus
from subject_requests.models.actions import RightAction
from subject_requests.models.requests import SubjectRequest


class SystemTaskQuerySet(models.QuerySet["SystemTask"]):
    def unresolved(self) -> SystemTaskQuerySet:
        return self.filter(status__in=UNRESOLVED_TASKS)

    def open(self) -> SystemTaskQuerySet:
        return self.filter(status=TaskStatus.OPEN)

    def stalled(self, *, now: dt.datetime) -> SystemTaskQuerySet:
        """Open, and claimed by a worker that stopped beating (`core.heartbeat`)."""
        return (
            self.open()
            .exclude(claimed_by="")
            .filter(Q(heartbeat_at__lt=stale_before(now)) | Q(heartbeat_at__isnull=True))
        )

    def claimable(self, *, now: dt.datetime) -> SystemTaskQuerySet:
        """Open, not delivered, and claimed by nobody alive: what a worker may start on."""
        return self.open().filter(
            Q(claimed_by="") | Q(heartbeat_at__lt=stale_before(now)) | Q(heartbeat_at__isnull=True),
            delivered_at__isnull=True,
        )


class SystemTask(models.Model):
    # The request the task serves; None for an erasure no request started (`cause`).
    request = models.ForeignKey(
        SubjectRequest,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="system_tasks",
    )
    cause = models.CharField(
        _("started by"), max_length=20, choices=TaskCause.choices, default=TaskCause.REQUEST
    )
    # Started by the purge (cause retention): the run and the rule whose removals it carries
    # to the system (no foreign key: a purge run may be restored away, the task stays).
    purge_run = models.PositiveBigIntegerField(_("purge run"), null=True, blank=True)
    rule_code = models.CharField(_("retention rule"), max_length=60, blank=True)
    # The action on the data the task carries out (None: an access request's question).
    action = models.ForeignKey(
        RightAction, null=True, blank=True, on_delete=models.CASCADE, related_name="system_tasks"
    )
    # The person the task is about (None once a purge deleted their row).
    subject = models.ForeignKey(
        "subjects.DataSubject", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    system = models.ForeignKey(
        "processing.System", on_delete=models.PROTECT, related_name="request_tasks"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=TaskKind.choices)
    operation = models.CharField(_("what to do"), max_length=20, choices=Operation.choices)
    connector = models.CharField(_("connector"), max_length=20)  # the system's, when created
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="system_tasks",
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    # What the system needs to find the person and what to change: identifiers taken before an
    # erasure ran, a rectification's before and after. Cleared once the task is resolved.
    payload = EncryptedJSONField(_("what was sent"), null=True, blank=True)
    # The owner's or the system's word on what was done (may name the person: encrypted).
    evidence = EncryptedTextField(_("evidence"), null=True, blank=True)
    # What the portal found of the person in a system it reaches by SQL (an access question):
    # per data category and table, the rows' personal columns. The access report's sections
    # from that system (`reports.platform`); kept as long as the task.
    found = EncryptedJSONField(_("found in its database"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # The worker delivering or carrying the task out now (a token of its claim, empty when
    # none), and its last sign of life (`core.heartbeat`).
    claimed_by = models.CharField(max_length=64, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The single-use completion link's nonce; emptied by the one call that completes the task.
    callback_nonce = models.CharField(max_length=64, blank=True, editable=False)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # "owner", "dpo", "callback", "synchronous" (a 2xx answer) or "delivered" (a notice).
    completed_via = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = SystemTaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("system task")
        verbose_name_plural = _("system tasks")
        indexes = [
            models.Index(fields=["owner", "status", "due_on"], name="dsr_task_owner"),
            models.Index(fields=["request", "status"], name="dsr_task_request"),
        ]

    def __str__(self) -> str:
        return f"{self.get_operation_display()} · {self.system_id}"

    @property
    def reference(self) -> str:
        """What the task is for, in the staff's words: the request's reference, or what
        started an erasure no request started."""
        if self.request is not None:
            return self.request.reference or ""
        return str(TaskCause(self.cause).label)

    @property
    def what(self) -> str:
        """What the system is asked to do, in the staff's words: a purge run's task is about
        the people a rule removed, not about one person."""
        if self.cause == TaskCause.RETENTION:
            return str(_("Erase the data of the people a retention rule removed"))
        return str(self.get_operation_display())

    @property
    def is_resolved(self) -> bool:
        return self.status not in UNRESOLVED_TASKS

    def is_stalled(self, now: dt.datetime) -> bool:
        """`SystemTaskQuerySet.stalled` for one row."""
        return (
            self.status == TaskStatus.OPEN
            and bool(self.claimed_by)
            and is_stale(self.heartbeat_at, now=now)
        )
