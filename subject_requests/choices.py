"""The vocabulary of data-subject requests: the rights, channels, statuses and the one status
machine, the reasons a clock may stop, and the kinds of timeline entry."""

from __future__ import annotations

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

StrOrPromise = str | Promise


class RequestType(models.TextChoices):
    ACCESS = "access", _("Access to my data")
    COPY = "copy", _("A copy of my data")
    RECTIFICATION = "rectification", _("Correction of my data")
    ERASURE = "erasure", _("Erasure of my data")
    RESTRICTION = "restriction", _("Restriction of processing")
    PORTABILITY = "portability", _("Data portability")
    OBJECTION_MARKETING = "objection_marketing", _("Objection to direct marketing")
    OBJECTION_PROCESSING = "objection_processing", _("Objection to other processing")
    INFORMATION = "information", _("Processors, recipients and transfers")


# Plain words for the public form: what each right gives, and its source in the GDPR.
TYPE_EXPLANATIONS: dict[str, StrOrPromise] = {
    RequestType.ACCESS: _(
        "Ask whether we process data about you and, if so, what data, why, where it came "
        "from, who receives it and how long we keep it (GDPR Art. 15)."
    ),
    RequestType.COPY: _("Receive a copy of the personal data we hold about you (Art. 15(3))."),
    RequestType.RECTIFICATION: _(
        "Have inaccurate data about you corrected or incomplete data completed (Art. 16)."
    ),
    RequestType.ERASURE: _(
        "Have your data deleted. Where the law requires us to keep some of it (for example "
        "invoices), we will tell you what we keep and why (Art. 17)."
    ),
    RequestType.RESTRICTION: _(
        "Ask us to keep your data but stop using it for a while, for example while its "
        "accuracy is checked (Art. 18)."
    ),
    RequestType.PORTABILITY: _(
        "Receive the data you gave us, processed on your consent or a contract, in a "
        "machine-readable format, or have it sent to another company (Art. 20)."
    ),
    RequestType.OBJECTION_MARKETING: _(
        "Stop all direct marketing to you. This always takes effect (Art. 21(2))."
    ),
    RequestType.OBJECTION_PROCESSING: _(
        "Object to processing based on our or our client's legitimate interest, on grounds "
        "relating to your situation (Art. 21(1))."
    ),
    RequestType.INFORMATION: _(
        "Learn which processors and recipients hold your data, where they are, and on which "
        "ground data is transferred outside the European Economic Area."
    ),
}


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")
    PHONE = "phone", _("Phone")
    API = "api", _("API")
    # Filed by the person from their self-service pages, signed in by a link to a stored
    # address.
    SELF_SERVICE = "self_service", _("Self-service")


# Channels a member of staff enters by hand (the web form and the API enter themselves).
STAFF_CHANNELS = (Channel.EMAIL, Channel.LETTER, Channel.PHONE)


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    AWAITING_IDENTITY = "awaiting_identity", _("Awaiting identity")
    VERIFIED = "verified", _("Verified")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn by the requester")
    CLOSED_UNVERIFIED = "closed_unverified", _("Closed unverified")


OPEN_STATUSES = (
    Status.RECEIVED,
    Status.AWAITING_IDENTITY,
    Status.VERIFIED,
    Status.IN_PROGRESS,
)
CLOSED_STATUSES = (
    Status.COMPLETED,
    Status.REJECTED,
    Status.WITHDRAWN,
    Status.CLOSED_UNVERIFIED,
)

# The one status machine. Anything not listed is refused by `services.transition`.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset(
        {Status.AWAITING_IDENTITY, Status.VERIFIED, Status.REJECTED, Status.WITHDRAWN}
    ),
    Status.AWAITING_IDENTITY: frozenset(
        {Status.VERIFIED, Status.REJECTED, Status.WITHDRAWN, Status.CLOSED_UNVERIFIED}
    ),
    Status.VERIFIED: frozenset({Status.IN_PROGRESS, Status.REJECTED, Status.WITHDRAWN}),
    Status.IN_PROGRESS: frozenset({Status.COMPLETED, Status.REJECTED, Status.WITHDRAWN}),
    Status.COMPLETED: frozenset(),
    Status.REJECTED: frozenset(),
    Status.WITHDRAWN: frozenset(),
    Status.CLOSED_UNVERIFIED: frozenset(),
}


class VerificationMethod(models.TextChoices):
    EMAIL_LINK = "email_link", _("Signed e-mail link matching a stored e-mail")
    MANUAL = "manual", _("Proportionate check by the DPO")
    SELF_SERVICE = "self_service", _("Signed in by a link sent to a stored e-mail")


class PauseReason(models.TextChoices):
    # GDPR Art. 12(6): the controller may ask for information needed to confirm identity.
    IDENTITY = "identity", _("Identity information outstanding")
    CLARIFICATION = "clarification", _("Clarification outstanding")


class EntryKind(models.TextChoices):
    STATUS = "status", _("Status change")
    NOTE = "note", _("Internal note")
    MESSAGE = "message", _("Message to the requester")
    LETTER = "letter", _("Letter to the requester")
    DOCUMENT = "document", _("Document")
    DEADLINE = "deadline", _("Deadline")
    ASSIGNMENT = "assignment", _("Assignment")
    IDENTITY = "identity", _("Identity")
    DUPLICATE = "duplicate", _("Duplicate")
    # GDPR Art. 20(2): the package sent straight to another controller, asked and decided.
    TRANSMISSION = "transmission", _("Transmission to another company")


class Transmission(models.TextChoices):
    """A portability request that asks for the package to go straight to another controller
    (GDPR Art. 20(2)): the DPO confirms it, or declines it with reasons (Art. 20(4), 12(4))
    and the package goes to the requester."""

    ASKED = "asked", _("Asked, awaiting the DPO's decision")
    CONFIRMED = "confirmed", _("Confirmed by the DPO")
    DECLINED = "declined", _("Declined by the DPO, with reasons")


class DeliveryStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Not accepted by the mail server")


class AnswerKind(models.TextChoices):
    ACCESS_REPORT = "access_report", _("Access report (Art. 15)")
    PORTABILITY = "portability", _("Portable data (Art. 20)")
    INFORMATION = "information", _("Processors, recipients and transfers")
    LETTER = "letter", _("Answer letter")


class AnswerStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be built")
    BUILDING = "building", _("Being built")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class Outcome(models.TextChoices):
    """What the answer letter tells the requester (GDPR Art. 12(3)-(4))."""

    COMPLETED = "completed", _("Completed")
    PARTLY_REFUSED = "partly_refused", _("Partly refused")
    REFUSED = "refused", _("Refused")
    CLOSED_UNVERIFIED = "closed_unverified", _("Closed: identity not confirmed")
    WITHDRAWN = "withdrawn", _("Withdrawn by the requester")
    EXTENDED = "extended", _("Deadline extended")


# The document each right is answered with (the other rights are answered by acting).
ANSWER_FOR_TYPE: dict[str, str] = {
    RequestType.ACCESS: AnswerKind.ACCESS_REPORT,
    RequestType.COPY: AnswerKind.ACCESS_REPORT,  # Art. 15(3): the copy is the same report
    RequestType.PORTABILITY: AnswerKind.PORTABILITY,
    RequestType.INFORMATION: AnswerKind.INFORMATION,
}


class ActionKind(models.TextChoices):
    """What the DPO does to a person's data to fulfil a right (GDPR Art. 16-18, 21)."""

    ERASURE = "erasure", _("Erasure (Art. 17)")
    RECTIFICATION = "rectification", _("Rectification (Art. 16)")
    RESTRICTION = "restriction", _("Restriction (Art. 18)")
    RESTRICTION_LIFT = "restriction_lift", _("Restriction lifted (Art. 18(3))")
    OBJECTION = "objection", _("Objection (Art. 21)")


class ActionStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed, awaiting confirmation")
    DONE = "done", _("Carried out")
    CANCELLED = "cancelled", _("Cancelled")
    # The DPO does not act on this person's data, and says why (GDPR Art. 12(4)): the letter
    # gives the reason.
    REFUSED = "refused", _("Refused, with reasons")


# The rights whose requests the DPO answers by acting on the data, and the actions each offers.
ACTIONS_FOR_TYPE: dict[str, tuple[str, ...]] = {
    RequestType.ERASURE: (ActionKind.ERASURE,),
    RequestType.RECTIFICATION: (ActionKind.RECTIFICATION,),
    RequestType.RESTRICTION: (ActionKind.RESTRICTION, ActionKind.RESTRICTION_LIFT),
    RequestType.OBJECTION_MARKETING: (ActionKind.OBJECTION,),
    RequestType.OBJECTION_PROCESSING: (ActionKind.OBJECTION,),
}


class TaskKind(models.TextChoices):
    ACTION = "action", _("Act on the data")
    NOTICE = "notice", _("Notice to a recipient (Art. 19)")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    NOT_HELD = "not_held", _("Not held there")
    FAILED = "failed", _("Failed")
    # An erasure a legal hold or a claim defers: sent when the purge erases the person.
    WAITING = "waiting", _("Waits until the kept data may go")
    # A question the request no longer needs: its person was unlinked, or the request closed
    # without an answer (`services.task_withdrawal`).
    WITHDRAWN = "withdrawn", _("Withdrawn: no longer needed")


# What a system is asked to do, by the action on the request (an access request asks each
# system what it holds).
class Operation(models.TextChoices):
    ACCESS = "access", _("Report what is held about the person")
    ERASE = "erase", _("Erase the person's data")
    RECTIFY = "rectify", _("Correct the person's data")
    RESTRICT = "restrict", _("Restrict processing: only store the data")
    LIFT_RESTRICTION = "lift_restriction", _("Lift the restriction of processing")


class TaskCause(models.TextChoices):
    """What started the work a task carries: a request, or an erasure no request started
    (GDPR Art. 17(1)(c), 19: the systems and recipients holding the person's data act on
    every erasure, whatever started it)."""

    REQUEST = "request", _("A data-subject request")
    OBJECTION = "objection", _("An objection to direct marketing (unsubscribe or logged)")
    PURGE = "purge", _("The nightly purge of a person who asked for erasure or was flagged")
    ERASURE = "erasure", _("An erasure entered by the operator")
    # One task per system and rule for a purge run: the people whose period ended.
    RETENTION = "retention", _("The nightly purge of people whose retention period ended")


# Tasks still waiting for a system: completing the request needs them done or an override.
UNRESOLVED_TASKS = (TaskStatus.OPEN, TaskStatus.FAILED)
