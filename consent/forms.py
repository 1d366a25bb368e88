"""Forms of the consent pages. They validate input; the services decide and write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent.models import STAFF_CHANNELS, Channel, EventKind, ReviewStatus, SuppressedImport
from core.forms import DatePicker
from core.generics import AnyModelMultipleChoiceField
from processing.models import LegalBasis, Purpose

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _now_local() -> str:
    return timezone.localtime().strftime(DATETIME_LOCAL)


def staff_channel_choices() -> list[tuple[str, str]]:
    return [(c.value, str(c.label)) for c in STAFF_CHANNELS]


class FindPersonForm(forms.Form):
    q = forms.CharField(
        label=_("E-mail or name"),
        max_length=200,
        help_text=_("An e-mail finds the exact person; a name finds everyone who matches."),
    )


class WhenMixin(forms.Form):
    occurred_at = forms.DateTimeField(
        label=_("When the person asked"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_(
            "If the e-mail or letter came earlier, give that time: the withdrawal takes effect "
            "from then."
        ),
    )

    def clean_occurred_at(self) -> Any:
        value = self.cleaned_data["occurred_at"]
        if value > timezone.now() + dt.timedelta(minutes=2):
            raise forms.ValidationError(_("This time is in the future."))
        return value


class PurposeChoiceField(AnyModelMultipleChoiceField):
    """Each purpose labelled with what ticking it does: withdraw consent, or object."""

    def label_from_instance(self, obj: Purpose) -> str:
        return _purpose_label(obj)


class LogForm(WhenMixin):
    """Withdrawals and objections for one person, as the staff page takes them."""

    all_marketing = forms.BooleanField(label=_("All marketing"), required=False)
    purposes = PurposeChoiceField(
        label=_("Purposes"),
        queryset=Purpose.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    channel = forms.ChoiceField(label=_("How the person told us"), choices=staff_channel_choices)
    note = forms.CharField(
        label=_("Note (evidence)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the person wrote or said. Stored encrypted."),
    )
    # Asked on the confirmation step: a file cannot travel in the step's hidden fields.
    evidence_file = forms.FileField(
        label=_("Evidence (file)"),
        required=False,
        help_text=_("The person's e-mail or letter, at most 10 MB. Stored encrypted."),
    )

    field_order = ["all_marketing", "purposes", "channel", "occurred_at", "note"]
    ON_CONFIRMATION = ("evidence_file",)

    def __init__(self, *args: Any, purposes: list[Purpose], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"occurred_at": _now_local(), "channel": Channel.EMAIL.value})
        super().__init__(*args, **kwargs)
        self.available = purposes
        field = self.fields["purposes"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Purpose.objects.filter(pk__in=[p.pk for p in purposes])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = list(data.get("purposes") or [])
        if data.get("all_marketing"):
            chosen += [p for p in self.available if p.is_direct_marketing and p not in chosen]
        if not chosen:
            raise forms.ValidationError(_("Tick at least one purpose, or “All marketing”."))
        data["chosen"] = chosen
        return data


def _purpose_label(purpose: Purpose) -> str:
    if purpose.is_consent_based:
        return str(_("%(name)s — withdraw consent") % {"name": purpose.name})
    return str(_("%(name)s — object (Art. 21)") % {"name": purpose.name})


class SuppressForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address to suppress"))
    channel = forms.ChoiceField(label=_("How the person told us"), choices=staff_channel_choices)
    suppressed_on = forms.DateField(label=_("Date of the request"), widget=DatePicker())


class GrantForm(forms.Form):
    purpose = forms.ModelChoiceField(
        label=_("Purpose"), queryset=Purpose.objects.active().filter(legal_basis=LegalBasis.CONSENT)
    )
    channel = forms.ChoiceField(
        label=_("How the person gave consent"), choices=staff_channel_choices
    )
    wording = forms.CharField(
        label=_("Wording the person agreed to"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )
    evidence_text = forms.CharField(
        label=_("Evidence (note)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )
    evidence_file = forms.FileField(
        label=_("Evidence (file)"), required=False, help_text=_("At most 10 MB. Stored encrypted.")
    )
    confirm = forms.BooleanField(
        label=_("I confirm the person gave this consent now; it takes effect from now."),
    )


class LedgerFilterForm(forms.Form):
    purpose = forms.ModelChoiceField(
        label=_("Purpose"), queryset=Purpose.objects.all(), required=False, empty_label=_("Any")
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Any")), *list(EventKind.choices)], required=False
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("Any")), *list(Channel.choices)], required=False
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DatePicker())
    date_to = forms.DateField(label=_("To"), required=False, widget=DatePicker())
    person = forms.CharField(
        label=_("Person"),
        required=False,
        max_length=254,
        help_text=_("Name, work e-mail or the person's number (#123)."),
    )

    def __init__(self, *args: Any, names_allowed: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The Auditor reads the ledger without personal data: a person by number only.
        self.names_allowed = names_allowed
        if not names_allowed:
            self.fields["person"].help_text = _("The person's number (#123).")

    def clean_person(self) -> str:
        text = str(self.cleaned_data.get("person") or "").strip()
        if text and not text.lstrip("#").isdigit() and not self.names_allowed:
            raise forms.ValidationError(_("Search by the person's number (#123)."))
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            raise forms.ValidationError(_("“To” is before “From”."))
        return data


class SuppressionCheckForm(forms.Form):
    address = forms.EmailField(label=_("Check an address"), max_length=254)


class AudienceForm(forms.Form):
    purpose = forms.ModelChoiceField(
        label=_("Purpose"),
        queryset=Purpose.objects.active().filter(is_direct_marketing=True),
        empty_label=None,
    )


class PolicyVersionForm(forms.Form):
    version = forms.CharField(label=_("Version"), max_length=50)
    effective_on = forms.DateField(label=_("Takes effect on"), widget=DatePicker())
    summary = forms.CharField(
        label=_("Summary of changes"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("People read this in the notice e-mail."),
    )
    full_text = forms.CharField(label=_("Full text"), widget=forms.Textarea(attrs={"rows": 12}))
    new_consent_purposes = forms.ModelMultipleChoiceField(
        label=_("Consent-based purposes this version adds"),
        queryset=Purpose.objects.active().filter(legal_basis=LegalBasis.CONSENT),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Consent given earlier does not carry over: people must grant these afresh."),
    )
    short_notice_confirmed = forms.BooleanField(
        label=_("I confirm the short notice period"), required=False
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (ReviewStatus.UPHELD.value, ReviewStatus.UPHELD.label),
            (ReviewStatus.REJECTED.value, ReviewStatus.REJECTED.label),
        ],
        widget=forms.RadioSelect,
    )
    reasoning = forms.CharField(
        label=_("Balancing: the interest, the person's situation, why you decide so"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=8000,
    )


class SuppressionSettingsForm(forms.Form):
    on_suppressed_import = forms.ChoiceField(
        label=_("When someone adds a suppressed address again"),
        choices=SuppressedImport.choices,
        widget=forms.RadioSelect,
    )


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("Work e-mail"))
    name = forms.CharField(label=_("Your name (optional)"), required=False, max_length=200)
    purposes = forms.ModelMultipleChoiceField(
        label=_("What would you like to receive?"),
        queryset=Purpose.objects.active().filter(
            legal_basis=LegalBasis.CONSENT, is_direct_marketing=True
        ),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one kind of e-mail.")},
    )
