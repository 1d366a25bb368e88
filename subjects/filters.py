"""Filter forms of the list pages: they only parse the query string into selector arguments."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from subjects.forms import country_choices
from subjects.models import OrganisationStatus


class OrganisationFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or registry code"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("any")), *OrganisationStatus.choices]
    )
    country = forms.ChoiceField(label=_("Country"), required=False, choices=[])
    on_legal_hold = forms.BooleanField(label=_("On legal hold"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["country"]).choices = country_choices(_("any"))

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "text": data["q"].strip(),
            "status": data["status"],
            "country": data["country"],
            "on_legal_hold": data["on_legal_hold"],
        }
