"""The DPO's dashboard: their home page, and at /dashboard/ for a link."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.home import home_panels
from core.permissions import has_permission, requires
from oversight.selectors import dashboard
from retention.alarms import purge_panel


@requires("dashboard")
def dashboard_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "dashboard/dashboard.html",
        # The purge panel's figures are charts here, and its retention findings are the
        # preview page's: the costliest panel, left out of the page that must load fastest.
        {**dashboard(now=timezone.now()), "panels": home_panels(request, leave_out=(purge_panel,))},
    )


def dashboard_home(request: HttpRequest) -> HttpResponse | None:
    """`core.home` home page: the dashboard for whoever may see it."""
    if not has_permission(request.user, "dashboard"):
        return None
    return dashboard_page(request)
