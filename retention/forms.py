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
    """A rule's form. A new rule is offered only for the kinds of record no active rule
    governs (one rule per kind); an existing rule keeps its kind and code, and a change says
    why. The anchors are grouped by kind of record; static/js/rule_form.js shows only the
    group of the chosen kind, and `rule_errors` refuses an anchor of another kind."""

    reason = forms.CharField(
        label=_("Why this change"),
        max_length=300,
        required=False,
        help_text=_("Kept in the rule's history and shown to the DPO who confirms it."),
        error_messages={
            "required": _("Say why the rule changes: the reason is kept in its history.")
        },
    )

    class Meta:
        model = RetentionRule
        fields = RULE_FIELDS
        help_texts = {
            "code": _("Short unique name, letters, digits and hyphens (e.g. invoices-7y)."),
            "name": _("Say the period in words, as the rule's list shows it."),
            "legal_reference": _("The law or policy clause that sets this period."),
            "period_days": _("Periods are calendar arithmetic: 1 year from 29 Feb ends 28 Feb."),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        editing = bool(self.instance.pk)
        governed = set(RetentionRule.objects.active().values_list("record_type", flat=True))
        kinds = [rt for rt in registry if editing or rt.code not in governed]
        self.fields["record_type"] = forms.ChoiceField(
            label=_("Applies to"), choices=[(rt.code, str(rt.label)) for rt in kinds]
        )
        if editing and self.instance.record_type in registry:
            record_type = registry.get(self.instance.record_type)
            anchors: list[Any] = [(k, str(label)) for k, label in record_type.anchors.items()]
        else:
            anchors = [
                (str(rt.label), [(k, str(label)) for k, label in rt.anchors.items()])
                for rt in kinds
            ]
        self.fields["anchor"] = forms.ChoiceField(label=_("Anchor"), choices=anchors)
        self.fields["anchor"].widget.attrs["data-follows"] = "id_record_type"
        for name in ("period_years", "period_months", "period_days"):
            self.fields[name].required = False
        if editing:
            # The code names the rule in run logs and audit events, and a rule governs one
            # kind of record: neither changes. To govern another kind, make a new rule.
            self.fields["code"].disabled = True
            self.fields["record_type"].disabled = True
            self.fields["reason"].required = True
        else:
            del self.fields["reason"]
        self.order_fields([*RULE_FIELDS, "reason"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("period_years", "period_months", "period_days"):
            if cleaned.get(name) is None and name not in self.errors:
                cleaned[name] = 0
        if not set(self.errors) - {"reason"}:
            rule_fields = {k: v for k, v in cleaned.items() if k != "reason"}
            for name, message in rule_errors(rule_fields, instance=self.instance).items():
                self.add_error(name if name in self.fields else None, message)
        return cleaned

    def rule_values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "reason"}


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
