"""Form pieces every app's forms share."""

from __future__ import annotations

from django import forms


class DatePicker(forms.DateInput):
    """The browser's own date picker: `<input type="date">`."""

    input_type = "date"


class AuditFilterForm(forms.Form):
    """The audit log's filters. Like every filter read from the query string, through a form:
    bounded, and refusing NUL (every CharField does), which PostgreSQL cannot hold in a
    string — a raw value in a query was a server error."""

    action = forms.CharField(required=False, max_length=100)
    target_type = forms.CharField(required=False, max_length=100)

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {name: value.strip() for name, value in self.cleaned_data.items() if value.strip()}
