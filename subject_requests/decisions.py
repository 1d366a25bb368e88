"""The DPO's decisions on a request: how each is asked for on the request page, confirmed on
its own page and carried out by its service.

Whether a decision is offered is not decided here: `selectors.request_actions` runs the
services' own guards (`subject_requests.guards`), and `buttons_for` only lays out what passed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from subject_requests import services
from subject_requests.deadlines import due_date
from subject_requests.forms import (
    AssignForm,
    CompleteForm,
    OptionalReasonForm,
    PauseForm,
    ReasonForm,
    VerifyForm,
)
from subject_requests.models import SubjectRequest
from subject_requests.selectors import RequestActions

Label = str | Promise


@dataclass(frozen=True)
class Decision:
    title: Label
    explanation: Label
    button: Label  # on the confirmation page
    form: type[forms.Form] | None
    run: Callable[[SubjectRequest, dict[str, Any], Any], Any]
    done: Label
    # On the request page: the button's words (None: offered another way, e.g. a select) and
    # its look ("primary", "danger" or plain).
    label: Label | None = None
    style: str = ""
    # Irreversible: the confirmation page warns.
    danger: bool = False
    # The legal due day the decision would give, shown before confirming.
    resulting_due_on: Callable[[SubjectRequest], dt.date] | None = None


def extended_due_on(request: SubjectRequest) -> dt.date:
    """The legal due day an extension would give now: three months from receipt, moved by
    the closed pauses, rolled to a working day (an open pause moves it on when it ends)."""
    return due_date(request.received_at, extended=True, pauses=[request.paused_days])


# In the order the request page shows them.
DECISIONS: dict[str, Decision] = {
    "verify": Decision(
        title=_("Record an identity check"),
        explanation=_(
            "Ask only for what you need to confirm who the person is (GDPR Art. 12(6)), and "
            "record what you asked and what they showed."
        ),
        button=_("Mark as verified"),
        form=VerifyForm,
        run=lambda r, d, u: services.verify_manually(
            request=r,
            asked=d["asked"],
            shown=d["shown"],
            subject_email=d["subject_email"] or "",
            actor=u,
        ),
        done=_("The request is verified."),
        label=_("Record identity check"),
        style="primary",
    ),
    "resend-link": Decision(
        title=_("Send a new verification link"),
        explanation="",
        button=_("Send a new verification link"),
        form=None,
        run=lambda r, d, u: services.resend_verification_link(request=r, actor=u),
        done=_("A new verification link is on its way."),
        label=_("Send a new verification link"),
    ),
    "start": Decision(
        title=_("Start work"),
        explanation="",
        button=_("Start work"),
        form=None,
        run=lambda r, d, u: services.start_work(request=r, actor=u),
        done=_("The request is in progress."),
        label=_("Start work"),
        style="primary",
    ),
    "complete": Decision(
        title=_("Complete the request"),
        explanation=_(
            "The requester receives the answer letter (as an e-mail and a PDF) with what was "
            "done, what was refused and why, a link to their reviewed documents, and their "
            "right to complain to a supervisory authority or a court. Preview it first."
        ),
        button=_("Complete and send the letter"),
        form=CompleteForm,
        run=lambda r, d, u: services.complete_request(
            request=r,
            outcome=d["outcome"],
            refused_part=d["refused_part"],
            recipients_requested=d.get("recipients_requested", False),
            systems_override=d.get("systems_override", ""),
            actor=u,
        ),
        done=_("The request is completed."),
        label=_("Complete"),
        style="primary",
    ),
    "resume": Decision(
        title=_("Restart the clock"),
        explanation="",
        button=_("Information received: restart the clock"),
        form=None,
        run=lambda r, d, u: services.resume_request(request=r, actor=u),
        done=_("The clock runs again."),
        label=_("Information received: restart the clock"),
    ),
    "pause": Decision(
        title=_("Ask the requester and pause the clock"),
        explanation=_(
            "The deadline stops while identity information or a clarification is outstanding "
            "and moves by exactly the days paused. Your question is e-mailed to the requester."
        ),
        button=_("Send and pause"),
        form=PauseForm,
        run=lambda r, d, u: services.pause_request(
            request=r, reason=d["reason"], note=d["note"], actor=u
        ),
        done=_("The clock is paused."),
        label=_("Ask the requester (pause)"),
    ),
    "extend": Decision(
        title=_("Extend the deadline"),
        explanation=_(
            "Once only, before the first deadline passes: the new deadline is three months "
            "from receipt, moved to the next working day if that is a weekend or public "
            "holiday (GDPR Art. 12(3)). The requester receives your reason."
        ),
        button=_("Extend and tell the requester"),
        form=ReasonForm,
        run=lambda r, d, u: services.extend_deadline(request=r, reason=d["reason"], actor=u),
        done=_("The deadline is extended and the requester told why."),
        label=_("Extend deadline"),
        resulting_due_on=extended_due_on,
    ),
    "reject": Decision(
        title=_("Reject the request"),
        explanation=_(
            "The requester receives a letter with your reason and their right to complain to "
            "a supervisory authority or a court (GDPR Art. 12(4)). This cannot be undone."
        ),
        button=_("Reject and send the letter"),
        form=ReasonForm,
        run=lambda r, d, u: services.reject_request(request=r, reason=d["reason"], actor=u),
        done=_("The request is rejected."),
        label=_("Reject"),
        style="danger",
        danger=True,
    ),
    "close": Decision(
        title=_("Close as unverified"),
        explanation=_(
            "Close the request because the requester's identity could not be confirmed. They "
            "receive a letter with your reason and their right to complain. This cannot be "
            "undone."
        ),
        button=_("Close and send the letter"),
        form=ReasonForm,
        run=lambda r, d, u: services.close_unverified(request=r, reason=d["reason"], actor=u),
        done=_("The request is closed."),
        label=_("Close unverified"),
        style="danger",
        danger=True,
    ),
    "withdraw": Decision(
        title=_("Record a withdrawal"),
        explanation=_(
            "Record that the requester withdrew the request (by e-mail, letter or phone). "
            "They receive a confirmation. This cannot be undone."
        ),
        button=_("Record the withdrawal"),
        form=OptionalReasonForm,
        run=lambda r, d, u: services.withdraw_request(request=r, reason=d["reason"], actor=u),
        done=_("The withdrawal is recorded."),
        label=_("Record withdrawal"),
        danger=True,
    ),
    "assign": Decision(
        title=_("Assign"),
        explanation="",
        button=_("Assign"),
        form=AssignForm,
        run=lambda r, d, u: services.assign_requests(
            request_ids=[r.pk], assignee=d["assignee"], actor=u
        ),
        done=_("The assignment is saved."),
    ),
}


@dataclass(frozen=True)
class Button:
    action: str
    label: Label
    # No form to fill in: the button itself posts the decision.
    posts: bool
    css: str


def buttons_for(actions: RequestActions) -> list[Button]:
    """The request page's buttons: exactly the decisions the guards allow, in page order."""
    return [
        Button(
            action=slug,
            label=decision.label,
            posts=decision.form is None,
            css=decision.style,
        )
        for slug, decision in DECISIONS.items()
        if decision.label is not None and slug in actions
    ]
