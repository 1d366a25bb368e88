"""Art. 14 notices and policy versions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from consent import services
from consent.forms import (
    PolicyVersionForm,
)
from consent.models import (
    NoticeStatus,
    PolicyVersion,
)
from consent.views.common import PAGE_SIZE, add_errors
from core.permissions import has_permission, requires
from core.timeutil import legal_today
from retention.periods import Period
from subjects.models import INFORMATION_NOTICE_MONTHS

# --- notices and policy versions ------------------------------------------------------------


@requires("consent.notices")
@require_GET
def notices(request: HttpRequest) -> HttpResponse:
    overdue = services.information_notices_overdue()
    page = Paginator(overdue.select_related("organisation"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "consent/notices.html",
        {
            "page": page,
            "due_count": services.information_notice_due().count(),
            "notice_period": Period(months=INFORMATION_NOTICE_MONTHS),
            "versions": PolicyVersion.objects.all()[:20],
            "can_publish": has_permission(request.user, "consent.policy.manage"),
        },
    )


@requires("consent.policy.manage")
@require_http_methods(["GET", "POST"])
def policy_new(request: HttpRequest) -> HttpResponse:
    from consent.services.notices import notice_period_days, short_notice

    form = PolicyVersionForm(request.POST or None)
    needs_confirmation = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            policy = services.publish_policy_version(
                actor=request.user,
                version=data["version"],
                summary=data["summary"],
                full_text=data["full_text"],
                effective_on=data["effective_on"],
                new_consent_purposes=data["new_consent_purposes"],
                short_notice_confirmed=data["short_notice_confirmed"],
            )
        except ValidationError as error:
            needs_confirmation = short_notice(data["effective_on"], today=legal_today())
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("Version %(version)s published; the notices are being sent.")
                % {"version": policy.version},
            )
            return redirect("consent:policy", pk=policy.pk)
    return render(
        request,
        "consent/policy_form.html",
        {
            "form": form,
            "needs_confirmation": needs_confirmation,
            "notice_days": notice_period_days(),
        },
    )


@requires("consent.notices")
@require_GET
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    policy = get_object_or_404(PolicyVersion, pk=pk)
    sending = policy.notice_status in (NoticeStatus.QUEUED, NoticeStatus.SENDING)
    return render(
        request,
        "consent/policy_detail.html",
        {
            "policy": policy,
            "sending": sending,
            "new_purposes": list(policy.new_consent_purposes.all()),
        },
    )
