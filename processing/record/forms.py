from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from processing.models import Processor


class MeasuresForm(forms.Form):
    text = forms.CharField(
        label=_("Technical and organisational measures"),
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=20000,
    )

    def add_service_errors(self, exc: ValidationError) -> None:
        for name, messages in exc.message_dict.items():
            self.add_error(name if name in self.fields else None, messages)


class DateInput(forms.DateInput):
    input_type = "date"


class ContractForm(forms.Form):
    """The processor's data processing agreement (GDPR Art. 28(3))."""

    dpa_reference = forms.CharField(label=_("DPA reference"), max_length=100, required=False)
    dpa_signed_on = forms.DateField(label=_("Signed on"), required=False, widget=DateInput())
    dpa_review_due_on = forms.DateField(
        label=_("Review due on"), required=False, widget=DateInput()
    )

    @classmethod
    def initial_for(cls, processor: Processor) -> dict[str, Any]:
        return {name: getattr(processor, name) for name in cls.base_fields}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        signed, due = data.get("dpa_signed_on"), data.get("dpa_review_due_on")
        if signed and due and due < signed:
            self.add_error("dpa_review_due_on", _("The review cannot come before the signature."))
        return data
