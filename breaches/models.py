"""The breach register (GDPR Art. 33 and 34): every personal-data breach, notified or not
(Art. 33(5)), with its 72-hour clock, its follow-up phases and the decision on telling the
people affected."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from breaches.clock import Clock, clock_at, is_late


class BreachNature(models.TextChoices):
    # The three kinds the EDPB guidelines 9/2022 name.
    CONFIDENTIALITY = "confidentiality", _("Confidentiality: disclosed to or accessed by others")
    INTEGRITY = "integrity", _("Integrity: altered without authorisation")
    AVAILABILITY = "availability", _("Availability: lost or destroyed")


class AuthorityDecision(models.TextChoices):
    PENDING = "pending", _("Not decided yet")
    NOTIFY = "notify", _("Notify the supervisory authority")
    # Art. 33(1): "unless the breach is unlikely to result in a risk"; still recorded (33(5)).
    NOT_REQUIRED = "not_required", _("Not notified: unlikely to result in a risk")


class PeopleDecision(models.TextChoices):
    PENDING = "pending", _("Not decided yet")
    INFORM = "inform", _("Inform the people (high risk, Art. 34(1))")
    NOT_INFORM = "not_inform", _("Not informed (Art. 34(3) or no high risk)")


class BreachQuerySet(models.QuerySet["Breach"]):
    def clock_running(self) -> BreachQuerySet:
        """Breaches whose 72 hours still matter: not notified, and not decided as not needing
        notification."""
        return self.filter(notified_at__isnull=True).exclude(
            authority_decision=AuthorityDecision.NOT_REQUIRED
        )

    def open(self) -> BreachQuerySet:
        return self.filter(closed_at__isnull=True)


class Breach(models.Model):
    title = models.CharField(_("short title"), max_length=200)
    aware_at = models.DateTimeField(_("became aware at"), db_index=True)
    occurred_at = models.DateTimeField(_("occurred at (if known)"), null=True, blank=True)
    nature = models.CharField(_("nature"), max_length=20, choices=BreachNature.choices)
    # Words for the authority and the register; names of people belong in the affected list.
    description = models.TextField(_("what happened"))
    categories = models.ManyToManyField(
        "processing.DataCategory", verbose_name=_("categories of data"), related_name="+"
    )
    subject_kinds = models.JSONField(_("categories of people"), default=list, blank=True)
    approx_people = models.PositiveIntegerField(_("approximate number of people"))
    approx_records = models.PositiveIntegerField(_("approximate number of records"))
    consequences = models.TextField(_("likely consequences"))
    measures = models.TextField(_("measures taken or proposed"))
    contact_point = models.CharField(_("contact point"), max_length=300)
    authority_decision = models.CharField(
        _("supervisory authority"),
        max_length=20,
        choices=AuthorityDecision.choices,
        default=AuthorityDecision.PENDING,
    )
    authority_decision_reason = models.TextField(_("why"), blank=True)
    notified_at = models.DateTimeField(_("authority notified at"), null=True, blank=True)
    authority_reference = models.CharField(_("authority's reference"), max_length=100, blank=True)
    late_reason = models.TextField(_("reason for the delay"), blank=True)
    people_decision = models.CharField(
        _("the people affected"),
        max_length=20,
        choices=PeopleDecision.choices,
        default=PeopleDecision.PENDING,
    )
    people_decision_reason = models.TextField(_("why"), blank=True)
    people_decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = BreachQuerySet.as_manager()

    class Meta:
        # The tables kept the names they had inside subject_requests: the move changed the
        # code's home, not the data.
        db_table = "subject_requests_breach"
        ordering = ["-aware_at", "-id"]
        verbose_name = _("personal-data breach")
        verbose_name_plural = _("personal-data breaches")
        constraints = [
            # Art. 33(1): a notification after 72 hours carries the reasons for the delay;
            # the service checks the hours, the database that a notified row has a decision.
            models.CheckConstraint(
                condition=Q(notified_at__isnull=True) | Q(authority_decision="notify"),
                name="breach_notified_means_notify",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("breaches:detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"BR-{self.aware_at:%Y}-{self.pk:03d}"

    def clock(self, now: dt.datetime) -> Clock:
        return clock_at(self.aware_at, now=now)

    @property
    def clock_running(self) -> bool:
        return (
            self.notified_at is None and self.authority_decision != AuthorityDecision.NOT_REQUIRED
        )

    @property
    def notified_late(self) -> bool:
        return self.notified_at is not None and is_late(self.aware_at, self.notified_at)


class BreachFollowUp(models.Model):
    """Information given in phases (Art. 33(4)) or a step taken after the first notice."""

    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="follow_ups")
    phase = models.PositiveSmallIntegerField(_("phase"))
    information = models.TextField(_("information"))
    sent_to_authority_at = models.DateTimeField(
        _("sent to the authority at"), null=True, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        db_table = "subject_requests_breachfollowup"
        ordering = ["breach", "phase"]
        constraints = [
            models.UniqueConstraint(fields=["breach", "phase"], name="breach_follow_up_phase")
        ]

    def __str__(self) -> str:
        return f"{self.breach.reference} phase {self.phase}"


class AffectedPerson(models.Model):
    """A person whose data the breach touched, and when they were sent the Art. 34 letter."""

    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="affected")
    subject = models.ForeignKey(
        "subjects.DataSubject", on_delete=models.CASCADE, related_name="breaches"
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)
    informed_at = models.DateTimeField(_("informed at"), null=True, blank=True)

    class Meta:
        db_table = "subject_requests_affectedperson"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["breach", "subject"], name="breach_affected_once")
        ]

    def __str__(self) -> str:
        return f"{self.breach_id}:{self.subject_id}"
