from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DatePicker
from core.generics import AnyModelForm
from retention.models import PurgeRunStatus, RetentionRule
from retention.registry import registry
from retention.services.rules import RULE_FIELDS, rule_errors


class RetentionRuleForm(AnyModelForm):
    class Meta:
        model = RetentionRule
        fields = RULE_FIELDS
        help_texts = {
            "code": _("Short unique name, letters, digits and hyphens (e.g. invoices-7y)."),
            "legal_reference": _("The law or policy clause that sets this period."),
            "period_days": _("Periods are calendar arithmetic: 1 year from 29 Feb ends 28 Feb."),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["record_type"] = forms.ChoiceField(
            label=_("Applies to"), choices=registry.choices()
        )
        self.fields["anchor"] = forms.ChoiceField(
            label=_("Anchor"), choices=registry.anchor_choices()
        )
        if self.instance.pk:
            # The code names the rule in run logs and audit events: it never changes.
            self.fields["code"].disabled = True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            for name, message in rule_errors(cleaned, instance=self.instance).items():
                self.add_error(name, message)
        return cleaned


class AsOfForm(forms.Form):
    as_of = forms.DateField(
        label=_("Purge as of"),
        required=False,
        widget=DatePicker(),
        help_text=_("A legal day in Tallinn; later days show what is coming."),
    )

    def clean_as_of(self) -> dt.date | None:
        value: dt.date | None = self.cleaned_data.get("as_of")
        if value is not None and not dt.date(2000, 1, 1) <= value <= dt.date(2200, 1, 1):
            raise forms.ValidationError(_("Choose a day between 2000 and 2200."))
        return value


class RunFilterForm(forms.Form):
    """The run history's filters, from the query string: a status it offers, dry runs shown
    or not. A value it does not offer filters nothing."""

    status = forms.ChoiceField(required=False, choices=[("", _("any")), *PurgeRunStatus.choices])
    real = forms.BooleanField(required=False)
