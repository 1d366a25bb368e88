"""Forms of the CSV import pages: the upload, and the mapping of columns to fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from consent.imports import parsing
from consent.imports.models import CsvImport, ImportKind
from processing.models import LegalBasis, Purpose, SubjectKind
from subjects.models import Source


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file lists"), choices=ImportKind.choices)
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("A header row, then one row per person; comma, semicolon or tab."),
    )


class MappingForm(forms.Form):
    """One choice per column of the file; for people the kind and source of new people, for
    withdrawals the purpose withdrawn."""

    def __init__(self, *args: Any, csv_import: CsvImport, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.csv_import = csv_import
        choices = [(parsing.IGNORE, _("— ignore —"))] + [
            (name, label) for name, label in parsing.FIELDS[csv_import.kind].items()
        ]
        for n, header in enumerate(csv_import.headers):
            self.fields[f"column_{n}"] = forms.ChoiceField(
                label=header or _("(column %(n)d without a name)") % {"n": n + 1},
                choices=choices,
                required=False,
                initial=csv_import.mapping.get(header, parsing.IGNORE),
            )
        if csv_import.kind == ImportKind.PROSPECTS:
            self.fields["default_kind"] = forms.ChoiceField(
                label=_("Kind of new people (where no column gives it)"),
                choices=SubjectKind.choices,
                initial=csv_import.defaults.get("kind", SubjectKind.PROSPECT),
            )
            self.fields["default_source"] = forms.ChoiceField(
                label=_("Where the data came from (new people)"),
                choices=Source.choices,
                initial=csv_import.defaults.get("source", Source.PUBLIC_REGISTER),
            )
        else:
            self.fields["purpose"] = forms.ModelChoiceField(
                label=_("Consent withdrawn for"),
                queryset=Purpose.objects.filter(legal_basis=LegalBasis.CONSENT),
                initial=csv_import.purpose_id,
            )

    def column_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("column_")]

    def option_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith("column_")]

    def mapping(self) -> dict[str, str]:
        return {
            header: self.cleaned_data.get(f"column_{n}") or parsing.IGNORE
            for n, header in enumerate(self.csv_import.headers)
        }

    def defaults(self) -> dict[str, str]:
        if self.csv_import.kind != ImportKind.PROSPECTS:
            return {}
        return {
            "kind": self.cleaned_data["default_kind"],
            "source": self.cleaned_data["default_source"],
        }
