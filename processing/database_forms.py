"""The form of a system's database: its connection and its manifest. It only parses input;
`processing.databases.connect` checks both against the live database and decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class DatabaseForm(forms.Form):
    # A password field, so that the URL — its password included — is never sent back to the
    # browser, not even on a page that shows a problem.
    url = forms.CharField(
        label=_("Connection URL"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}
        ),
    )
    manifest = forms.CharField(
        label=_("Manifest (YAML)"),
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 28, "spellcheck": "false", "wrap": "off", "class": "code"}
        ),
        help_text=_(
            "Every table and column of the database: “not personal”, or its data category, "
            "whether it finds a person (identity), what it references and what erasure does "
            "to it."
        ),
    )

    def __init__(self, *args: Any, connected: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.fields["url"]
        url.required = not connected
        url.help_text = (
            _(
                "Leave it empty to keep the current connection. A new one replaces it "
                "(a role with only the rights the manifest needs); it is stored encrypted and "
                "never shown again."
            )
            if connected
            else _(
                "For example postgresql://privacyops:…@db.internal:5432/platform — a "
                "role with only the rights the manifest needs. Stored encrypted, never shown "
                "again."
            )
        )

    def clean_manifest(self) -> str:
        # A browser sends a textarea's lines with CR LF; the versions compare by text.
        return str(self.cleaned_data["manifest"]).replace("\r\n", "\n")
