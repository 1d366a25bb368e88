"""The consent ledger, its CSV export and a purpose's audience."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from consent import exports, selectors
from consent.forms import (
    AudienceForm,
    LedgerFilterForm,
)
from consent.sections import EVIDENCE_DOWNLOAD
from core.audit import record_event, record_events_bulk
from core.exports import csv_response
from core.permissions import has_permission, requires
from core.timeutil import legal_today
from subjects.field_policy import fields_for_user
from subjects.models import DataSubject

# --- ledger and exports ---------------------------------------------------------------------


def filtered_ledger(form: LedgerFilterForm) -> Any:
    data = form.cleaned_data if form.is_valid() else {}
    events = selectors.ledger_events(
        purpose=data.get("purpose"),
        kind=data.get("kind", ""),
        channel=data.get("channel", ""),
        occurred_from=data.get("date_from"),
        occurred_to=data.get("date_to"),
    )
    person = str(data.get("person") or "")
    if person.lstrip("#").isdigit():
        return events.filter(subject_id=int(person.lstrip("#")))
    if person:
        # Names and e-mails through their blind indexes: nothing is decrypted to search.
        return events.filter(subject__in=DataSubject.objects.search(person).values("pk"))
    return events


def _ledger_form(request: HttpRequest) -> LedgerFilterForm:
    return LedgerFilterForm(
        request.GET or None, names_allowed=has_permission(request.user, "subjects.detail")
    )


@requires("consent.ledger")
@require_GET
def ledger(request: HttpRequest) -> HttpResponse:
    form = _ledger_form(request)
    page = Paginator(filtered_ledger(form), 50).get_page(request.GET.get("page"))
    ids = sorted({event.subject_id for event in page.object_list})
    if ids:
        record_events_bulk(
            action="subject.listed",
            actor=request.user,
            target_type="subjects.datasubject",
            target_ids=ids,
            details={"page": "consent.ledger"},
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "consent/ledger.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_download_evidence": has_permission(request.user, EVIDENCE_DOWNLOAD),
            # The Auditor reads the ledger but no personal data: people appear by id only.
            "can_see_people": has_permission(request.user, "subjects.detail"),
        },
    )


@requires("consent.ledger")
@require_GET
def ledger_csv(request: HttpRequest) -> Any:
    form = _ledger_form(request)
    events = filtered_ledger(form)
    record_event(
        action="consent.ledger_exported",
        actor=request.user,
        target_type="consent.consentevent",
        details={"rows": events.count(), "filters": request.GET.urlencode()},
    )
    name = f"consent-ledger-{legal_today().isoformat()}.csv"
    return csv_response(name, exports.LEDGER_HEADER, exports.ledger_rows(events))


@requires("consent.audience")
@require_GET
def audience(request: HttpRequest) -> Any:
    form = AudienceForm(request.GET or None)
    if not form.is_valid():
        purpose_field = form.fields["purpose"]
        assert isinstance(purpose_field, forms.ModelChoiceField)
        assert purpose_field.queryset is not None
        counts = [
            (p, selectors.marketable_filter(DataSubject.objects.all(), purpose=p).count())
            for p in purpose_field.queryset
        ]
        return render(request, "consent/audience.html", {"form": form, "counts": counts})
    purpose = form.cleaned_data["purpose"]
    people = selectors.marketable_filter(DataSubject.objects.all(), purpose=purpose).order_by("pk")
    ids = list(people.values_list("pk", flat=True))
    record_event(
        action="consent.audience_exported",
        actor=request.user,
        target=purpose,
        details={"rows": len(ids)},
    )
    record_events_bulk(
        action="subject.exported",
        actor=request.user,
        target_type="subjects.datasubject",
        target_ids=ids,
        details={"export": "consent.audience", "purpose": purpose.code},
    )
    name = f"audience-{purpose.code}-{legal_today().isoformat()}.csv"
    fields = fields_for_user(request.user)
    return csv_response(
        name, exports.audience_header(fields), exports.audience_rows(people, purpose, fields=fields)
    )
