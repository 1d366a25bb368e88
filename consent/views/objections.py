"""Art. 21(1) objections awaiting the DPO, and the suppression list."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from consent import selectors, services
from consent.forms import (
    DecisionForm,
    SuppressionCheckForm,
    SuppressionSettingsForm,
)
from consent.models import (
    ConsentSettings,
    ObjectionReview,
    ReviewStatus,
    SuppressionEntry,
)
from consent.views.common import PAGE_SIZE, add_errors, record_viewed
from core.crypto import blind_index
from core.permissions import requires

# --- Art. 21(1) objections and suppression --------------------------------------------------


@requires("consent.objection.decide")
@require_GET
def objections(request: HttpRequest) -> HttpResponse:
    reviews = ObjectionReview.objects.select_related("subject", "purpose", "event")
    status = request.GET.get("status", ReviewStatus.OPEN)
    if status in ReviewStatus.values:
        reviews = reviews.filter(status=status)
    page = Paginator(reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "consent/objections.html",
        {"page": page, "status": status, "statuses": ReviewStatus.choices},
    )


@requires("consent.objection.decide")
@require_http_methods(["GET", "POST"])
def objection_decide(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(
        ObjectionReview.objects.select_related("subject", "purpose", "event"), pk=pk
    )
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.decide_objection(
                review=review,
                actor=request.user,
                upheld=form.cleaned_data["decision"] == ReviewStatus.UPHELD,
                reasoning=form.cleaned_data["reasoning"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("consent:objections")
    if request.method == "GET":
        record_viewed(request, review.subject, "consent.objection")
    return render(request, "consent/objection_decide.html", {"review": review, "form": form})


@requires("consent.suppression")
@require_http_methods(["GET", "POST"])
def suppression(request: HttpRequest) -> HttpResponse:
    current = ConsentSettings.load()
    form = SuppressionSettingsForm(
        request.POST or None, initial={"on_suppressed_import": current.on_suppressed_import}
    )
    if request.method == "POST" and form.is_valid():
        services.set_suppressed_import_policy(
            actor=request.user, on_suppressed_import=form.cleaned_data["on_suppressed_import"]
        )
        messages.success(request, _("Saved."))
        return redirect("consent:suppression")
    page = Paginator(SuppressionEntry.objects.select_related("actor"), 50).get_page(
        request.GET.get("page")
    )
    # "Is this address suppressed?": answered through the keyed hash, never stored or logged.
    check = SuppressionCheckForm(request.GET if "address" in request.GET else None)
    checked = None
    if check.is_bound and check.is_valid():
        address = check.cleaned_data["address"]
        index = blind_index(address)
        checked = {
            "address": address,
            "entry": SuppressionEntry.objects.filter(email_index=index).first() if index else None,
        }
    return render(
        request,
        "consent/suppression.html",
        {
            "form": form,
            "page": page,
            "check": check,
            "checked": checked,
            "flagged": selectors.suppressed_subjects().select_related("organisation")[:100],
        },
    )
