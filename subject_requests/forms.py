from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.forms import DatePicker
from core.generics import AnyModelChoiceField
from subject_requests.choices import STAFF_CHANNELS, Channel, PauseReason, RequestType, Status
from subject_requests.models import DUE_SOON_DAYS
from subject_requests.selectors import QueueFilters
from subject_requests.services.timeline import MAX_DOCUMENT_BYTES, assignable_users
from subject_requests.transmission_forms import StaffReceiverFields

MAX_DESCRIPTION = 5000


class StaffEntryForm(StaffReceiverFields):
    field_order = [
        "type", "channel", "received_at", "name", "email", "description", "language",
        "via_agent", "agent_name", "agent_proof",
    ]  # fmt: skip

    type = forms.ChoiceField(label=_("Right"), choices=RequestType.choices)
    channel = forms.ChoiceField(
        label=_("Received by"), choices=[(c.value, c.label) for c in STAFF_CHANNELS]
    )
    received_at = forms.DateTimeField(
        label=_("Received at"),
        help_text=_("When it reached the operator (the deadline counts from then)."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    name = forms.CharField(label=_("Requester's name"), max_length=200)
    email = forms.EmailField(label=_("Requester's e-mail"), required=False)
    description = forms.CharField(
        label=_("The request in the requester's words"),
        required=False,
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    language = forms.ChoiceField(label=_("Language of the answers"), choices=settings.LANGUAGES)
    via_agent = forms.BooleanField(
        label=_("An authorised agent acts for the person"), required=False
    )
    agent_name = forms.CharField(label=_("Agent's name"), max_length=200, required=False)
    agent_proof = forms.FileField(label=_("Agent's authorisation"), required=False)
    send_verification_link = forms.BooleanField(
        label=_("Send a verification link to the e-mail address"), required=False, initial=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault(
                "received_at", timezone.localtime().replace(second=0, microsecond=0)
            )

    def clean_received_at(self) -> dt.datetime:
        value: dt.datetime = self.cleaned_data["received_at"]
        if value > timezone.now():
            raise forms.ValidationError(_("A request cannot be received in the future."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("send_verification_link") and not data.get("email"):
            self.add_error("email", _("A verification link needs an e-mail address."))
        if data.get("via_agent") and not (data.get("agent_name") or "").strip():
            self.add_error("agent_name", _("Name the agent."))
        proof = data.get("agent_proof")
        if proof is not None and proof.size > MAX_DOCUMENT_BYTES:
            self.add_error("agent_proof", _("The file is larger than 10 MB."))
        self.clean_receiver(data, own_email=data.get("email") or "")
        return data


QUEUE_STATUS_CHOICES = [
    ("", _("Open")),
    *Status.choices,
    ("closed", _("Closed")),
    ("all", _("All")),
]


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=_("Reference or e-mail"), required=False, max_length=254)
    status = forms.ChoiceField(label=_("Status"), choices=QUEUE_STATUS_CHOICES, required=False)
    type = forms.ChoiceField(
        label=_("Right"), choices=[("", _("Any")), *RequestType.choices], required=False
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("Any")), *Channel.choices], required=False
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    overdue = forms.BooleanField(label=_("Overdue"), required=False)
    due_soon = forms.BooleanField(
        label=format_lazy(_("Due within {days} days"), days=DUE_SOON_DAYS), required=False
    )
    paused = forms.BooleanField(label=_("Clock paused"), required=False)
    transmission = forms.BooleanField(label=_("Transmission to decide"), required=False)

    def __init__(self, *args: Any, assignees: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("Anyone")),
            ("me", _("Me")),
            ("none", _("Nobody")),
            *[(str(u.pk), u.get_username()) for u in assignees],
        ]

    def filters(self) -> QueueFilters:
        if not self.is_valid():
            return QueueFilters()
        data = self.cleaned_data
        return QueueFilters(
            status=data["status"] or "",
            type=data["type"] or "",
            channel=data["channel"] or "",
            assignee=data["assignee"] or "",
            overdue=bool(data["overdue"]),
            due_soon=bool(data["due_soon"]),
            paused=bool(data["paused"]),
            transmission=bool(data["transmission"]),
            q=data["q"] or "",
        )


class AssigneeField(AnyModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.get_username())


class IdListField(forms.Field):
    """Checked rows of the queue: any integer ids (the service keeps only open requests)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        try:
            return [int(v) for v in value]
        except (TypeError, ValueError):
            raise forms.ValidationError(_("The selection is not valid.")) from None


class BulkAssignForm(forms.Form):
    requests = IdListField(error_messages={"required": _("Select at least one request.")})
    assignee = AssigneeField(queryset=None, required=False, empty_label=_("Nobody"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(AssigneeField, self.fields["assignee"]).queryset = assignable_users()


class AssignForm(forms.Form):
    assignee = AssigneeField(queryset=None, required=False, empty_label=_("Nobody"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(AssigneeField, self.fields["assignee"]).queryset = assignable_users()


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        error_messages={"required": _("A reason is required: the requester receives it.")},
    )


class RefuseActionForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you do not act on this person's data (the requester reads it)"),
        help_text=_("GDPR Art. 12(4): the reasons, and that they may complain to the authority."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        error_messages={"required": _("Give your reasons: the requester receives them.")},
    )


class CompleteForm(forms.Form):
    outcome = forms.CharField(
        label=_("What was done (the requester reads it in the letter)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": _("Say what was done: the requester receives it.")},
    )
    refused_part = forms.CharField(
        label=_("What was refused, and why (leave empty if nothing was)"),
        help_text=_("GDPR Art. 12(4): a refusal, even of a part, gives its reason."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )
    recipients_requested = forms.BooleanField(
        label=_("The requester asked which recipients were notified (GDPR Art. 19)"),
        help_text=_("The letter then names every recipient told of the change."),
        required=False,
    )
    systems_override = forms.CharField(
        label=_("Why complete while systems have not all confirmed (only then)"),
        help_text=_(
            "Completing with a system task open or failed needs your reason; the letter states it."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("How the requester withdrew (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )


class PauseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Outstanding"), choices=PauseReason.choices)
    note = forms.CharField(
        label=_("What you ask the requester for (sent to them)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )


class VerifyForm(forms.Form):
    asked = forms.CharField(
        label=_("What was asked"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    shown = forms.CharField(
        label=_("What the requester showed"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )
    subject_email = forms.EmailField(
        label=_("Match the stored subject with this e-mail (optional)"), required=False
    )


class PersonSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find a stored person by name words or exact e-mail"),
        max_length=200,
        required=False,
    )


class MatchChangeForm(forms.Form):
    subject = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    change = forms.ChoiceField(
        choices=[("link", _("Link")), ("unlink", _("Unlink"))], widget=forms.HiddenInput
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note (never sent)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class MessageForm(forms.Form):
    text = forms.CharField(
        label=_("Message to the requester (e-mailed and kept)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )


class DocumentForm(forms.Form):
    file = forms.FileField(label=_("Document"))
    note = forms.CharField(label=_("What it is"), required=False, max_length=500)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


class ReceivedAtForm(forms.Form):
    received_at = forms.DateTimeField(
        label=_("Received at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    reason = forms.CharField(label=_("Why it changes"), max_length=500)


class RegisterForm(forms.Form):
    received_from = forms.DateField(label=_("Received from"), required=False, widget=DatePicker())
    received_to = forms.DateField(label=_("Received to"), required=False, widget=DatePicker())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data
