"""Form pieces every app's forms share."""

from __future__ import annotations

from django import forms


class DatePicker(forms.DateInput):
    """The browser's own date picker: `<input type="date">`."""

    input_type = "date"
