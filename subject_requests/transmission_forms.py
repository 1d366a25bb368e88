"""The fields that name another company to send a portability package to (GDPR Art. 20(2)):
on the public form, in the requester's words and language, and on the staff entry form.
Both check them the same way (`clean_receiver`): the box ticked for a portability request,
a name, and a real address for receiving data that is not the requester's own."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from subject_requests.choices import RequestType
from subject_requests.services.transmission import Receiver, address_problem

RECEIVER_FIELDS = ("transmit", "receiver_name", "receiver_email")
INVALID_ADDRESS = _("Enter the company's e-mail address, such as privacy@company.com.")


class ReceiverFieldsForm(forms.Form):
    """The receiver's fields and their check; subclasses word them for their reader."""

    ONLY_PORTABILITY = _(
        "Only data for a data-portability request can be sent to another company: choose "
        "that right, or untick the box."
    )
    NOT_TICKED = _(
        "Tick the box to have the data sent to this company, or clear its name and address."
    )
    NAME_MISSING = _("Tell us the company's name.")
    EMAIL_MISSING = _("Tell us the company's e-mail address for receiving data.")
    OWN_ADDRESS = _(
        "This is the requester's own address: to send the data to the requester, untick the box."
    )

    def clean_receiver(self, data: dict[str, Any], *, own_email: str) -> None:
        name = (data.get("receiver_name") or "").strip()
        email = (data.get("receiver_email") or "").strip()
        if not data.get("transmit"):
            if name or email:
                self.add_error("transmit", self.NOT_TICKED)
            return
        if data.get("type") and data["type"] != RequestType.PORTABILITY:
            self.add_error("transmit", self.ONLY_PORTABILITY)
        if not name:
            self.add_error("receiver_name", self.NAME_MISSING)
        if "receiver_email" in self.errors:
            return
        problem = address_problem(email) if email else None
        if not email:
            self.add_error("receiver_email", self.EMAIL_MISSING)
        elif problem is not None:
            self.add_error("receiver_email", problem)
        elif own_email and email.lower() == own_email.strip().lower():
            self.add_error("receiver_email", self.OWN_ADDRESS)

    def receiver(self) -> Receiver | None:
        data = self.cleaned_data
        if not data.get("transmit"):
            return None
        return Receiver(name=data["receiver_name"], email=data["receiver_email"])


class PublicReceiverFields(ReceiverFieldsForm):
    OWN_ADDRESS = _(
        "This is your own address: we send the data to you unless you name another company, "
        "so untick the box."
    )

    transmit = forms.BooleanField(
        label=_("Send my data directly to another company instead of to me (GDPR Art. 20(2))"),
        required=False,
    )
    receiver_name = forms.CharField(label=_("The company's name"), max_length=200, required=False)
    receiver_email = forms.EmailField(
        label=_("The company's e-mail address for receiving data"),
        help_text=_(
            "For example its privacy or data-protection address. Once we have confirmed your "
            "identity and the request, we send the company a secure link to your data; you "
            "receive our letter saying when."
        ),
        required=False,
        error_messages={"invalid": INVALID_ADDRESS},
    )


# The entry form shows the receiver's fields only while the right is portability
# (`static/js/portal.js`; without JavaScript they stay, labelled for portability).
SHOWN_FOR_PORTABILITY = {"data-show-when": f"type={RequestType.PORTABILITY.value}"}


class StaffReceiverFields(ReceiverFieldsForm):
    transmit = forms.BooleanField(
        label=_("Data portability: send the package directly to another company (Art. 20(2))"),
        help_text=_("Only as the requester asked; a DPO confirms it before anything is sent."),
        required=False,
        widget=forms.CheckboxInput(attrs=SHOWN_FOR_PORTABILITY),
    )
    receiver_name = forms.CharField(
        label=_("Receiving company's name"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs=SHOWN_FOR_PORTABILITY),
    )
    receiver_email = forms.EmailField(
        label=_("Receiving company's e-mail address for data"),
        required=False,
        widget=forms.EmailInput(attrs=SHOWN_FOR_PORTABILITY),
        error_messages={"invalid": INVALID_ADDRESS},
    )
