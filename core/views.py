from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core.audit import record_event
from core.audit_browser import AUDIT_CSV_HEADER, audit_csv_rows, event_rows, filtered_events
from core.exports import csv_response
from core.forms import AuditFilterForm
from core.home import home_panels, role_home_page
from core.models import RecoveryCodeDevice
from core.pagination import CappedPaginator
from core.permissions import has_permission, requires
from core.services import two_factor


class LoginView(auth_views.LoginView):
    permission = "public"
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    permission = "public"


@requires("home")
def home(request: HttpRequest) -> HttpResponse:
    return role_home_page(request) or render(
        request, "core/home.html", {"panels": home_panels(request)}
    )


AUDIT_PAGE_SIZE = 50
# The browser pages through the first 10 000 events a filter finds (200 pages); past them it
# says there are more, and a narrower filter or the CSV export reaches them.
AUDIT_COUNT_CAP = 10_000


def _audit_form(request: HttpRequest) -> AuditFilterForm:
    return AuditFilterForm(
        request.GET or None, can_search_people=has_permission(request.user, "subjects.detail")
    )


@requires("audit.log")
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit browser: filters in words, grouped reads as one line, targets as links."""
    form = _audit_form(request)
    events = filtered_events(form.filters(), user=request.user)
    paginator = CappedPaginator(events, AUDIT_PAGE_SIZE, cap=AUDIT_COUNT_CAP)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "core/audit_log.html",
        {
            "page": page,
            "rows": event_rows(page.object_list, user=request.user),
            "form": form,
            "export_query": request.GET.urlencode(),
        },
    )


@requires("audit.log")
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered events as CSV, streamed; the export is itself an event."""
    form = _audit_form(request)
    filters = form.filters()
    events = filtered_events(filters, user=request.user)
    record_event(
        action="audit.exported",
        actor=request.user,
        details={"filters": sorted(k for k, v in vars(filters).items() if v)},
    )
    return csv_response(
        "audit-log.csv", AUDIT_CSV_HEADER, audit_csv_rows(events, user=request.user)
    )


@requires("public")
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def error_403(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path on this site only: `redirect()` would try anything else as a view name.
    safe = (
        target.startswith("/")
        and "\x00" not in target
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    )
    return target if safe else str(settings.LOGIN_REDIRECT_URL)


@requires("account.2fa")
@never_cache  # the page carries the authenticator's secret
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app by QR code (or its key typed in); once verified, renew the
    recovery codes or set up a new authenticator here."""
    user = request.user
    assert isinstance(user, AbstractBaseUser)  # the permission middleware let a user in
    verified = not two_factor.second_factor_missing(request) and two_factor.has_authenticator(user)
    if request.method == "POST" and request.POST.get("step") == "renew" and verified:
        renewed = two_factor.renew_recovery_codes(request=request)
        return render(request, "registration/recovery_codes.html", {"codes": renewed})
    if verified and request.GET.get("new") != "1" and request.method == "GET":
        recovery = RecoveryCodeDevice.objects.filter(user_id=user.pk).first()
        return render(
            request,
            "registration/two_factor_status.html",
            {"codes_left": recovery.codes_left() if recovery is not None else 0},
        )
    if not verified and two_factor.has_authenticator(user):
        # A new authenticator is set up only from a verified session.
        return redirect("two_factor_verify")
    device = two_factor.pending_authenticator(user)
    error = ""
    if request.method == "POST":
        codes = two_factor.confirm_authenticator(
            request=request, token=request.POST.get("code", "")
        )
        if codes is not None:
            return render(
                request,
                "registration/recovery_codes.html",
                {"codes": codes, "next": _next_url(request), "enrolled": True},
            )
        error = _("That code does not match. Check the time on your phone and try the newest code.")
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "qr_svg": two_factor.qr_code_svg(device),
            "manual_key": two_factor.manual_key(device),
            "error": error,
            "next": _next_url(request),
            "required": two_factor.second_factor_required(request),
        },
    )


@requires("account.2fa")
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    if not two_factor.second_factor_missing(request):
        return redirect(_next_url(request))
    error = ""
    if request.method == "POST":
        device = two_factor.verify_second_factor(
            request=request, token=request.POST.get("code", "")
        )
        if device is not None:
            if isinstance(device, RecoveryCodeDevice):
                messages.warning(
                    request,
                    _("You used a recovery code; %(n)d are left. Renew them under Two-factor.")
                    % {"n": device.codes_left()},
                )
            return redirect(_next_url(request))
        error = _("That code is not valid. Try the newest code from your app, or a recovery code.")
    return render(
        request, "registration/two_factor_verify.html", {"error": error, "next": _next_url(request)}
    )
