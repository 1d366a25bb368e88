"""Forms of the self-service pages; every label in the person's language."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from subject_requests.choices import RequestType
from subject_requests.forms import MAX_DESCRIPTION
from subject_requests.transmission_forms import PublicReceiverFields


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=_("Your work e-mail address"),
        max_length=254,
        help_text=_("We send a sign-in link to this address if it is one we hold."),
        error_messages={
            "required": _("We need an e-mail address to send the link to."),
            "invalid": _("Enter a valid e-mail address, such as name@company.com."),
        },
    )


class CorrectionForm(forms.Form):
    work_phone = forms.CharField(label=_("Work phone"), max_length=50, required=False)
    work_address = forms.CharField(label=_("Work address"), max_length=300, required=False)
    position = forms.CharField(label=_("Position"), max_length=200, required=False)
    first_name = forms.CharField(label=_("First name"), max_length=200, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=200, required=False)
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date, such as 1985-04-30.")},
    )
    work_email = forms.EmailField(label=_("Work e-mail"), max_length=254, required=False)
    organisation = forms.CharField(label=_("Company"), max_length=200, required=False)

    def __init__(self, *args: object, hide_address: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if hide_address:
            # Data minimisation (Art. 5(1)(c)): no address, date of birth or photo for prospects.
            del self.fields["work_address"]
            del self.fields["date_of_birth"]


class FileRequestForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Which right do you want to exercise?"),
        choices=RequestType.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the right your request is about.")},
    )
    description = forms.CharField(
        label=_("Your request"),
        required=False,
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Optional. Tell us what you want in your own words."),
    )


class PublicRequestForm(PublicReceiverFields):
    """The request form of the public pages; a portability request may name another company
    to send the data to (`PublicReceiverFields`, shown after the agent's fields)."""

    field_order = ["type", "name", "email", "description", "via_agent", "agent_name"]

    type = forms.ChoiceField(
        label=_("Which right do you want to exercise?"),
        choices=RequestType.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the right your request is about.")},
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        error_messages={"required": _("Tell us your name.")},
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_(
            "We send a link to this address to confirm it is yours. Use the address we know "
            "you by (for example your work e-mail)."
        ),
        error_messages={
            "required": _("We need an e-mail address to answer you."),
            "invalid": _("Enter a valid e-mail address, such as name@company.com."),
        },
    )
    description = forms.CharField(
        label=_("Your request"),
        required=False,
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Optional. Tell us what you want in your own words, for example which data "
            "should be corrected."
        ),
    )
    via_agent = forms.BooleanField(
        label=_("I am an authorised agent acting for someone else"), required=False
    )
    agent_name = forms.CharField(
        label=_("Agent's name (the person's own name goes above)"),
        max_length=200,
        required=False,
    )
    # A honeypot: hidden from people, filled in by bots.
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("via_agent") and not (data.get("agent_name") or "").strip():
            self.add_error("agent_name", _("Tell us the agent's name."))
        self.clean_receiver(data, own_email=data.get("email") or "")
        return data
