"""Forms only parse input; the services decide what is allowed and say why."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from core.forms import DatePicker
from core.generics import AnyModelForm
from core.timeutil import legal_date, start_of_legal_day
from subjects import guards
from subjects.fields import (
    ORGANISATION_FIELD_NAMES,
    PERSON_FIELD_NAMES,
    OrganisationFields,
    PersonFields,
)
from subjects.models import (
    DataSubject,
    Organisation,
    OrganisationStatus,
    Source,
    SubjectKind,
)


def _blank(label: Any) -> list[tuple[str, Any]]:
    return [("", label)]


def country_choices(label: Any = "—") -> list[tuple[str, Any]]:
    return _blank(label) + list(countries)


class ServiceErrorsMixin:
    """Puts a service's `ValidationError` next to the fields it names."""

    # Service field → form field, where the form asks for a date instead of a moment.
    field_map: dict[str, str] = {}

    def add_service_errors(self, exc: ValidationError) -> None:
        form: Any = self
        if not hasattr(exc, "error_dict"):
            form.add_error(None, exc.messages)
            return
        for name, messages in exc.message_dict.items():
            target = self.field_map.get(name, name)
            form.add_error(target if target in form.fields else None, messages)


class SubjectFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Name, organisation or exact e-mail"), required=False, max_length=200
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=_blank(_("any")) + SubjectKind.choices
    )
    country = forms.ChoiceField(label=_("Country"), required=False, choices=[])
    organisation_status = forms.ChoiceField(
        label=_("Organisation status"),
        required=False,
        choices=_blank(_("any")) + OrganisationStatus.choices,
    )
    anonymised = forms.BooleanField(label=_("Include anonymised"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["country"]).choices = country_choices(_("any"))

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "text": data["q"].strip(),
            "kind": data["kind"],
            "country": data["country"],
            "organisation_status": data["organisation_status"],
            "include_anonymised": data["anonymised"],
        }


class OrganisationLookupField(forms.CharField):
    """An organisation by exact name or registry code: a select of thousands would not do."""

    def clean(self, value: Any) -> Organisation | None:
        text = (super().clean(value) or "").strip()
        if not text:
            return None
        matches = list(
            Organisation.objects.filter(Q(name__iexact=text) | Q(registry_code=text))[:2]
        )
        if not matches:
            raise ValidationError(
                _("No organisation has this name or registry code. Create the organisation first.")
            )
        if len(matches) > 1:
            raise ValidationError(
                _("Several organisations have this name; give the registry code instead.")
            )
        return matches[0]

    @staticmethod
    def shown(organisation: Organisation | None) -> str:
        """What the field shows for an organisation: its name, or its registry code where
        another organisation has the same name (the name would not find it again)."""
        if organisation is None:
            return ""
        namesakes = Organisation.objects.filter(name__iexact=organisation.name)
        if organisation.registry_code and namesakes.exclude(pk=organisation.pk).exists():
            return organisation.registry_code
        return organisation.name


# The person's moments the form asks as days (a service field → its form field).
MOMENTS_AS_DAYS = {"collected_at": "collected_on", "informed_at": "informed_on"}
# The person's fields `SubjectForm` hands over as typed: all but the moments and the photo
# (an upload, or its removal).
PERSON_FIELDS_AS_TYPED = tuple(
    name for name in PERSON_FIELD_NAMES if name not in MOMENTS_AS_DAYS and name != "photo"
)


class SubjectForm(ServiceErrorsMixin, forms.Form):
    field_map = MOMENTS_AS_DAYS

    kind = forms.ChoiceField(label=_("Kind"), choices=_blank("—") + SubjectKind.choices)
    kind_changed_on = forms.DateField(
        label=_("Kind changed on"),
        required=False,
        widget=DatePicker(),
        help_text=_("When the kind changes: the day it changed (default today)."),
    )
    first_name = forms.CharField(label=_("First name"), required=False, max_length=100)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=100)
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=DatePicker(),
        help_text=_("Optional. Not for prospects. Nobody under 18 is stored."),
    )
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
        help_text=_("JPEG or PNG, at most 2 MB. Not for prospects."),
    )
    remove_photo = forms.BooleanField(label=_("Remove the photo"), required=False)
    work_address = forms.CharField(
        label=_("Work address"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Not for prospects."),
    )
    work_phone = forms.CharField(label=_("Work phone"), required=False, max_length=50)
    work_email = forms.EmailField(label=_("Work e-mail"), required=False)
    organisation = OrganisationLookupField(
        label=_("Organisation"),
        required=False,
        help_text=_("Exact name or registry code."),
    )
    position = forms.CharField(label=_("Position"), required=False, max_length=150)
    country = forms.ChoiceField(label=_("Located in"), required=False, choices=[])
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"),
        required=False,
        choices=_blank(_("not known")) + list(settings.LANGUAGES),
        help_text=_("E-mails to the person use it; when not known, their country decides."),
    )
    source = forms.ChoiceField(label=_("Source of the data"), choices=Source.choices)
    collected_on = forms.DateField(
        label=_("Collected on"),
        required=False,
        widget=DatePicker(),
        help_text=_("Default today."),
    )
    informed_on = forms.DateField(
        label=_("Informed on (Art. 14 notice)"),
        required=False,
        widget=DatePicker(),
        help_text=_("For data not given by the person: when they were told."),
    )

    def __init__(self, *args: Any, subject: DataSubject | None = None, **kwargs: Any) -> None:
        self.subject = subject
        if subject is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(subject)
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["country"]).choices = country_choices()
        if subject is None:
            del self.fields["kind_changed_on"]
            del self.fields["remove_photo"]

    @staticmethod
    def initial_for(subject: DataSubject) -> dict[str, Any]:
        return {
            "kind": subject.kind,
            "first_name": subject.first_name,
            "last_name": subject.last_name,
            "date_of_birth": subject.date_of_birth,
            "work_address": subject.work_address,
            "work_phone": subject.work_phone,
            "work_email": subject.work_email,
            "organisation": OrganisationLookupField.shown(subject.organisation),
            "position": subject.position,
            "country": str(subject.country or ""),
            "preferred_language": subject.preferred_language,
            "source": subject.source,
            "collected_on": legal_date(subject.collected_at),
            "informed_on": legal_date(subject.informed_at) if subject.informed_at else None,
        }

    def clean_photo(self) -> bytes | None:
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        if upload.size > guards.PHOTO_MAX_BYTES:
            raise ValidationError(
                _("The photo is %(size)s MB; the limit is %(limit)s MB.")
                % {
                    "size": f"{upload.size / (1024 * 1024):.1f}",
                    "limit": guards.PHOTO_MAX_BYTES // (1024 * 1024),
                }
            )
        return bytes(upload.read())

    def service_fields(self) -> PersonFields:
        """The person's fields for `create_subject` / `update_subject`."""
        data = self.cleaned_data
        # The form's fields of these names are declared above; a test holds them to the keys.
        fields = cast(PersonFields, {name: data[name] for name in PERSON_FIELDS_AS_TYPED})
        if (collected_at := self._moment("collected_at", data.get("collected_on"))) is not None:
            fields["collected_at"] = collected_at
        if (informed_at := self._moment("informed_at", data.get("informed_on"))) is not None:
            fields["informed_at"] = informed_at
        elif data.get("informed_on") is None and self.subject and self.subject.informed_at:
            fields["informed_at"] = None  # the day was cleared
        if data.get("photo"):
            fields["photo"] = data["photo"]
        elif data.get("remove_photo"):
            fields["photo"] = None
        return fields

    def kind_change_day(self) -> dt.date | None:
        """For `update_subject`: the day a changed kind took effect (None: today)."""
        day: dt.date | None = self.cleaned_data.get("kind_changed_on")
        return day

    def _moment(self, name: str, day: dt.date | None) -> dt.datetime | None:
        # A day from the form keeps the stored moment when it is the same day, so an
        # untouched form changes nothing (None: nothing to write).
        current = getattr(self.subject, name, None) if self.subject else None
        if day is None or (current is not None and legal_date(current) == day):
            return None
        return start_of_legal_day(day)


class LegalHoldForm(ServiceErrorsMixin, forms.Form):
    legal_hold_reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The claim, proceedings or request that requires keeping the data."),
    )
    legal_hold_review_on = forms.DateField(label=_("Review on"), widget=DatePicker())


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand and want to go ahead"),
        error_messages={"required": _("Tick the box to confirm.")},
    )


class OrganisationForm(ServiceErrorsMixin, AnyModelForm):
    class Meta:
        model = Organisation
        # The contract's dates follow from the status (`change_organisation_status`).
        fields = [name for name in ORGANISATION_FIELD_NAMES if not name.startswith("contract_")]

    def service_fields(self) -> OrganisationFields:
        """The organisation's fields for `create_organisation`."""
        return cast(OrganisationFields, dict(self.cleaned_data))


class OrganisationStatusForm(ServiceErrorsMixin, forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=OrganisationStatus.choices)
    on = forms.DateField(
        label=_("As of"),
        required=False,
        widget=DatePicker(),
        help_text=_("Default today."),
    )
    confirm = forms.BooleanField(
        label=_(
            "I understand: becoming a paying client converts the latest trial and turns the "
            "company's prospects into client people."
        ),
        error_messages={"required": _("Tick the box to confirm.")},
    )
