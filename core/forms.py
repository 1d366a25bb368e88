"""Form pieces every app's forms share."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.audit_browser import AuditFilters


class DatePicker(forms.DateInput):
    """The browser's own date picker: `<input type="date">`."""

    input_type = "date"


# Who acts without a user account, as `core.audit` labels them.
SYSTEM_ACTORS = ("nightly-purge", "breach-letters", "data subject", "anonymous", "system")


class AuditFilterForm(forms.Form):
    """The audit browser's filters, each a choice or a search. Like every filter read from the
    query string, through a form: bounded, and refusing NUL (every CharField does), which
    PostgreSQL cannot hold in a string — a raw value in a query was a server error."""

    actor = forms.ChoiceField(label=_("Who"), required=False, choices=[])
    action = forms.CharField(label=_("What"), required=False, max_length=100)
    target_type = forms.ChoiceField(label=_("On"), required=False, choices=[])
    target_id = forms.RegexField(
        label=_("Number"), required=False, regex=r"^\d{1,18}$", max_length=18
    )
    person = forms.CharField(label=_("About the person named"), required=False, max_length=200)
    since = forms.DateField(label=_("From"), required=False, widget=DatePicker())
    until = forms.DateField(label=_("To"), required=False, widget=DatePicker())

    def __init__(self, *args: Any, can_search_people: bool = False, **kwargs: Any) -> None:
        from core.audit_browser import target_kinds

        super().__init__(*args, **kwargs)
        users = get_user_model().objects.order_by("username").values_list("pk", "username")
        cast(forms.ChoiceField, self.fields["actor"]).choices = [
            ("", _("anyone")),
            (_("Accounts"), [(str(pk), name) for pk, name in users]),
            (_("Jobs and visitors"), [(label, label) for label in SYSTEM_ACTORS]),
        ]
        cast(forms.ChoiceField, self.fields["target_type"]).choices = [
            ("", _("anything")),
            *((code, kind.label) for code, kind in target_kinds().items()),
        ]
        if not can_search_people:
            # The Auditor sees no personal data: no search by a person's name.
            del self.fields["person"]

    def filters(self) -> AuditFilters:
        if not self.is_valid():
            return AuditFilters()
        data = self.cleaned_data
        return AuditFilters(
            actor=data["actor"],
            action=data["action"].strip(),
            target_type=data["target_type"],
            target_id=data["target_id"] or "",
            person=data.get("person", "").strip(),
            since=data["since"],
            until=data["until"],
        )
