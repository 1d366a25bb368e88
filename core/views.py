from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.home import home_panels
from core.models import AuditEvent
from core.permissions import requires


class LoginView(auth_views.LoginView):
    permission = "public"
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    permission = "public"


@requires("home")
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"panels": home_panels(request)})


@requires("audit.log")
def audit_log(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.select_related("actor")
    action = request.GET.get("action", "").strip()
    target_type = request.GET.get("target_type", "").strip()
    if action:
        events = events.filter(action=action)
    if target_type:
        events = events.filter(target_type=target_type)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/audit_log.html",
        {"page": page, "action": action, "target_type": target_type},
    )


@requires("public")
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def error_403(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return render(request, "403.html", status=403)
