from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.permissions import has_permission, requires
from core.timeutil import legal_today
from processing.selectors import processing_register, register_findings


@requires("processing.register")
def register(request: HttpRequest) -> HttpResponse:
    """The record of processing activities (GDPR Art. 30), read-only and printable."""
    return render(
        request,
        "processing/register.html",
        {
            "register": processing_register(),
            "findings": register_findings(today=legal_today()),
            "can_manage": has_permission(request.user, "processing.manage"),
        },
    )
