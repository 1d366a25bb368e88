"""The Admin's pages for API keys: list, create (the secret shown once), revoke."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.api.auth import LAST_USE_RESOLUTION
from core.api.models import ApiKey, Scope
from core.api.services import create_api_key, revoke_api_key
from core.permissions import requires


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Integration"),
        max_length=100,
        help_text=gettext_lazy("Who uses the key, e.g. “SaaS platform” or “Marketing tool”."),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Expires on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("At most two years ahead; the key stops working that day."),
    )

    def expires_at(self) -> dt.datetime:
        day: dt.date = self.cleaned_data["expires_on"]
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    def add_service_errors(self, exc: ValidationError) -> None:
        for field, errors in exc.message_dict.items():
            self.add_error("expires_on" if field == "expires_at" else field, errors)


@requires("api.keys")
@never_cache
def api_keys(request: HttpRequest) -> HttpResponse:
    """The list and the form; a valid POST creates the key and shows its secret this once."""
    initial = {"expires_on": (timezone.localdate() + dt.timedelta(days=365)).isoformat()}
    form = ApiKeyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            key, secret = create_api_key(
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(),
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return render(request, "core/api_key_created.html", {"key": key, "secret": secret})
    context: dict[str, Any] = {
        "form": form,
        "keys": ApiKey.objects.select_related("created_by"),
        "now": timezone.now(),
        "last_use_minutes": int(LAST_USE_RESOLUTION.total_seconds() // 60),
    }
    return render(request, "core/api_keys.html", context)


@requires("api.keys")
@require_POST
def api_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(ApiKey, pk=pk)
    revoke_api_key(key=key, actor=request.user)
    messages.success(request, _("The key %(prefix)s is revoked.") % {"prefix": key.prefix})
    return redirect("api_keys")
