"""Forms of the breach register: they parse and hand values to `breaches.services`."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from breaches.models import AuthorityDecision, Breach, BreachNature, PeopleDecision
from breaches.services import BREACH_FIELDS
from processing.models import DataCategory, SubjectKind, System
from subjects.forms import ServiceErrorsMixin, country_choices
from subjects.models import Organisation


class MomentInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


def _moment(label: Any, *, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, required=required, widget=MomentInput())


def _text(label: Any, *, rows: int = 3, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label, help_text=help_text, widget=forms.Textarea(attrs={"rows": rows})
    )


class BreachForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(label=_("Short title"), max_length=200)
    aware_at = _moment(_("Became aware at"))
    occurred_at = _moment(_("Occurred at (if known)"), required=False)
    nature = forms.ChoiceField(label=_("Nature"), choices=BreachNature.choices)
    description = _text(
        _("What happened"),
        rows=4,
        help_text=_("In words the authority and the people can follow; no names."),
    )
    subject_kinds = forms.MultipleChoiceField(
        label=_("Categories of people"),
        choices=SubjectKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories of data"),
        queryset=DataCategory.objects.order_by("id"),
        widget=forms.CheckboxSelectMultiple,
    )
    approx_people = forms.IntegerField(label=_("Approximate number of people"), min_value=0)
    approx_records = forms.IntegerField(label=_("Approximate number of records"), min_value=0)
    consequences = _text(_("Likely consequences"))
    measures = _text(_("Measures taken or proposed"))
    contact_point = forms.CharField(label=_("Contact point"), max_length=300)

    def __init__(self, *args: Any, breach: Breach | None = None, **kwargs: Any) -> None:
        if breach is not None:
            kwargs.setdefault(
                "initial",
                {
                    **{name: getattr(breach, name) for name in BREACH_FIELDS},
                    "categories": list(breach.categories.all()),
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["contact_point"].initial = settings.PRIVACY_CONTACT_EMAIL

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("categories")
        return data


class AuthorityDecisionForm(ServiceErrorsMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Supervisory authority"),
        choices=[c for c in AuthorityDecision.choices if c[0] != AuthorityDecision.PENDING],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Why"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class NotificationForm(ServiceErrorsMixin, forms.Form):
    notified_at = _moment(_("Notified at"))
    reference = forms.CharField(label=_("Authority's reference"), required=False, max_length=100)
    late_reason = forms.CharField(
        label=_("Reason for the delay (after 72 hours)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FollowUpForm(ServiceErrorsMixin, forms.Form):
    information = forms.CharField(label=_("Information"), widget=forms.Textarea(attrs={"rows": 3}))
    sent_to_authority_at = _moment(_("Sent to the authority at"), required=False)


class PeopleDecisionForm(ServiceErrorsMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("The people affected"),
        choices=[c for c in PeopleDecision.choices if c[0] != PeopleDecision.PENDING],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}))


class AffectedSelectionForm(forms.Form):
    """Who the breach touched: everyone of an organisation, everyone a system holds, or a
    filter by kind and country."""

    organisation = forms.ModelChoiceField(
        label=_("Organisation"), required=False, queryset=Organisation.objects.order_by("name")
    )
    system = forms.ModelChoiceField(
        label=_("System"), required=False, queryset=System.objects.order_by("name")
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("any")), *SubjectKind.choices]
    )
    country = forms.ChoiceField(label=_("Country"), required=False, choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["country"]).choices = country_choices(_("any"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(name) for name in ("organisation", "system", "kind", "country")):
            raise forms.ValidationError(
                _("Choose an organisation, a system, or a kind or country to filter by.")
            )
        return data

    def selection(self) -> str:
        """The selection in words for the audit event (an organisation's name is no person's
        data; filters by their values)."""
        data = self.cleaned_data
        parts = []
        if data.get("organisation"):
            parts.append(f"organisation {data['organisation'].pk}")
        if data.get("system"):
            parts.append(f"system {data['system'].pk}")
        if data.get("kind"):
            parts.append(f"kind {data['kind']}")
        if data.get("country"):
            parts.append(f"country {data['country']}")
        return ", ".join(parts)
