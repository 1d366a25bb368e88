"""Pausing and resuming the nightly purge: each a confirmation page, then the service."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.permissions import requires
from retention.pause import PAUSE_ALARM_AFTER, pause_purge, purge_paused, resume_purge
from retention.preview import purge_preview
from retention.selectors import tonights_as_of


class PauseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why does the purge pause?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=gettext_lazy("The DPO is e-mailed this reason; it is kept in the audit log."),
        error_messages={"required": gettext_lazy("Say why the purge pauses: the DPO is told.")},
    )


@requires("retention.purge.pause")
def purge_pause(request: HttpRequest) -> HttpResponse:
    paused = purge_paused()
    if paused is not None:
        messages.info(request, paused.sentence())
        return redirect("retention:preview")
    form = PauseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pause_purge(actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The nightly purge is paused. The DPO has been told why."))
            return redirect("retention:preview")
    due = sum(preview.count for preview in purge_preview(as_of=tonights_as_of()))
    alarm_hours = int(PAUSE_ALARM_AFTER.total_seconds() // 3600)
    return render(
        request,
        "retention/purge_pause.html",
        {"form": form, "due": due, "alarm_hours": alarm_hours},
    )


@requires("retention.purge.pause")
def purge_resume(request: HttpRequest) -> HttpResponse:
    paused = purge_paused()
    if paused is None:
        messages.info(request, _("The nightly purge is not paused."))
        return redirect("retention:preview")
    if request.method == "POST":
        try:
            resume_purge(actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The nightly purge runs again from tonight."))
        return redirect("retention:preview")
    return render(request, "retention/purge_resume.html", {"paused": paused})
