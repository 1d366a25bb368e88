"""Forms of the pages that carry out a right from the request (`views.erasure`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from processing.models import Purpose
from subject_requests.services.changes import RECTIFIABLE
from subjects.forms import SubjectForm
from subjects.models import DataSubject, RestrictionGround


class ProposeErasureForm(forms.Form):
    note = forms.CharField(
        label=_("Note for the confirming DPO (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )


class ConfirmErasureForm(forms.Form):
    reviewed = forms.BooleanField(
        label=_(
            "I have read what will be erased and what must stay; the erasure cannot be undone."
        ),
        error_messages={"required": _("Tick the box to confirm you read the preview.")},
    )


class CancelErasureForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the proposal is withdrawn"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class RectificationForm(SubjectForm):
    """The person's own data as stored, to correct; the rest of their record (kind, source,
    dates) is not the person's to rectify and is left out."""

    def __init__(self, *args: Any, subject: DataSubject, **kwargs: Any) -> None:
        super().__init__(*args, subject=subject, **kwargs)
        for name in list(self.fields):
            if name not in RECTIFIABLE:
                del self.fields[name]

    def corrected(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in RECTIFIABLE}


class RestrictForm(forms.Form):
    ground = forms.ChoiceField(
        label=_("Ground (GDPR Art. 18(1))"),
        choices=[
            (value, label)
            for value, label in RestrictionGround.choices
            if value != RestrictionGround.OBJECTION_PENDING
        ],
        help_text=_(
            "An objection to legitimate-interest processing restricts by itself while you weigh "
            "it (Art. 18(1)(d)): record it as an objection."
        ),
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        required=False,
    )


class ObjectionForm(forms.Form):
    purposes = forms.ModelMultipleChoiceField(
        label=_("Purposes the objection covers"),
        queryset=Purpose.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one purpose.")},
    )

    def __init__(self, *args: Any, purposes: list[Purpose], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["purposes"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Purpose.objects.filter(pk__in=[p.pk for p in purposes]).order_by("id")
        if "initial" not in kwargs:
            self.initial["purposes"] = [p.pk for p in purposes]


class ConfirmTransmissionForm(forms.Form):
    checked = forms.BooleanField(
        label=_(
            "I have checked that this is the company the requester named and that the address "
            "is the company's own for receiving data."
        ),
        error_messages={"required": _("Tick the box to confirm you checked the company.")},
    )


class DeclineTransmissionForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the package does not go there (the requester reads it)"),
        help_text=_(
            "GDPR Art. 20(2), 20(4) and 12(4): for example, sending is not technically "
            "feasible, or the address cannot be trusted. The package goes to the requester."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        error_messages={"required": _("Give your reasons: the requester reads them.")},
    )
