"""Forms of the systems pages. They only parse input: `processing.services.systems` decides
what a system may be (through `System.full_clean()`) and says why, field by field."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.generics import AnyModelChoiceField, AnyModelMultipleChoiceField
from processing.models import (
    Connector,
    DataCategory,
    Processor,
    Recipient,
    SubjectKind,
    System,
    SystemKind,
)
from processing.selectors import system_owner_candidates
from processing.services.systems import STATED_FIELDS, SystemValues


class OwnerField(AnyModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        full_name = obj.get_full_name()
        username = obj.get_username()
        return f"{full_name} ({username})" if full_name else str(username)


class SystemForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=SystemKind.choices)
    processor = AnyModelChoiceField(
        label=_("Processor in the register"),
        queryset=Processor.objects.order_by("name"),
        required=False,
        empty_label=_("none"),
        help_text=_("For a processor: the register's entry it is."),
    )
    recipient = AnyModelChoiceField(
        label=_("Recipient in the register"),
        queryset=Recipient.objects.order_by("name"),
        required=False,
        empty_label=_("none"),
        help_text=_("For a recipient: the register's entry it is."),
    )
    owner = OwnerField(
        label=_("Owner"),
        queryset=None,
        help_text=_("The portal user who answers for this system and gets its manual tasks."),
    )
    categories = AnyModelMultipleChoiceField(
        label=_("Data categories it holds"),
        queryset=DataCategory.objects.order_by("id"),
        widget=forms.CheckboxSelectMultiple,
    )
    subject_kinds = forms.MultipleChoiceField(
        label=_("Whose data it holds"),
        choices=SubjectKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    connector = forms.ChoiceField(
        label=_("How a request reaches it"),
        choices=Connector.choices,
        widget=forms.RadioSelect,
        initial=Connector.MANUAL,
    )
    webhook_url = forms.CharField(
        label=_("Webhook URL"),
        max_length=500,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
        help_text=_("Webhook only: the HTTPS address the signed JSON is posted to."),
    )
    synchronous = forms.BooleanField(
        label=_("Synchronous: a 2xx answer means the work is done"),
        required=False,
        help_text=_(
            "Otherwise the system confirms later by calling the signed completion link it "
            "receives in the payload."
        ),
    )
    contact_email = forms.EmailField(
        label=_("Contact e-mail"),
        required=False,
        max_length=254,
        help_text=_(
            "A manual recipient is sent its notices of rectification, erasure and restriction "
            "here (GDPR Art. 19). A role address (privacy@…), not a person's."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(OwnerField, self.fields["owner"]).queryset = system_owner_candidates()

    @classmethod
    def initial_for(cls, system: System) -> dict[str, Any]:
        initial = {name: getattr(system, name) for name in STATED_FIELDS}
        initial["categories"] = list(system.categories.all())
        return initial

    def values(self) -> SystemValues:
        data = self.cleaned_data
        return SystemValues(
            name=data["name"].strip(),
            kind=data["kind"],
            owner=data["owner"],
            subject_kinds=[k for k in SubjectKind.values if k in data["subject_kinds"]],
            categories=list(data["categories"]),
            connector=data["connector"],
            processor=data["processor"],
            recipient=data["recipient"],
            webhook_url=data["webhook_url"].strip(),
            synchronous=data["synchronous"],
            contact_email=data["contact_email"].strip(),
        )

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put the service's refusal next to the fields it names."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for name, messages in exc.message_dict.items():
            self.add_error(name if name in self.fields else None, messages)


class FilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("any")), *SystemKind.choices]
    )
    connector = forms.ChoiceField(
        label=_("Connector"),
        required=False,
        choices=[
            ("", _("any")),
            (Connector.MANUAL.value, _("Manual")),
            (Connector.WEBHOOK.value, _("Webhook")),
            (Connector.DATABASE.value, _("Database")),
        ],
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("all", _("all")), ("active", _("active")), ("inactive", _("inactive"))],
    )

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {"state": "all"}
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "connector": data["connector"],
            "state": data["state"] or "all",
        }
