"""What the DPO did to a person's data to fulfil a right: an erasure (proposed, then confirmed
by another DPO), a rectification with its before and after, a restriction with its ground, an
objection. The systems outside the portal act on each (`SystemTask`), and the answer letter
tells the person what was done and, for an erasure, what was kept and until when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedJSONField, EncryptedTextField
from subject_requests.choices import ActionKind, ActionStatus
from subject_requests.models.requests import SubjectRequest


class RightActionQuerySet(models.QuerySet["RightAction"]):
    def proposed(self) -> RightActionQuerySet:
        return self.filter(status=ActionStatus.PROPOSED)

    def done(self) -> RightActionQuerySet:
        return self.filter(status=ActionStatus.DONE)


class RightAction(models.Model):
    request = models.ForeignKey(SubjectRequest, on_delete=models.CASCADE, related_name="actions")
    # The person acted on; None once a purge deleted their row (the action's record stays).
    subject = models.ForeignKey(
        "subjects.DataSubject", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("action"), max_length=20, choices=ActionKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.DONE
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(_("carried out at"), null=True, blank=True)
    # Personal data, so encrypted: a rectification's before and after ({"changes": {field:
    # [before, after]}}), an erasure's kept items, a restriction's ground, an objection's
    # purposes. Cleared with the request's identifiers three years after it closed.
    details = EncryptedJSONField(_("details"), null=True, blank=True)
    note = EncryptedTextField(_("note"), null=True, blank=True)

    objects = RightActionQuerySet.as_manager()

    class Meta:
        ordering = ["proposed_at", "id"]
        verbose_name = _("action on a request")
        verbose_name_plural = _("actions on requests")
        constraints = [
            # Two clicks cannot leave two proposals waiting for one person.
            models.UniqueConstraint(
                fields=["request", "subject", "kind"],
                condition=models.Q(status="proposed"),
                name="one_proposal_per_person_and_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_status_display()}"
