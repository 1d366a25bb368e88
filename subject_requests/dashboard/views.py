"""The DPO's dashboard: their home page, and at /dashboard/ for a link."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.permissions import has_permission, requires
from subject_requests.dashboard.selectors import dashboard


@requires("dashboard")
def dashboard_page(request: HttpRequest) -> HttpResponse:
    # The home panels' figures are all on the dashboard already (requests, purge), so it
    # does not render them again: a third of the page's time at 100 000 requests.
    return render(request, "dashboard/dashboard.html", dashboard(now=timezone.now()))


def dashboard_home(request: HttpRequest) -> HttpResponse | None:
    """`core.home` home page: the dashboard for whoever may see it."""
    if not has_permission(request.user, "dashboard"):
        return None
    return dashboard_page(request)
