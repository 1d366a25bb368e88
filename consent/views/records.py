"""The ledger as ISO/IEC TS 27560 consent records (JSON-LD): the ledger's filters in bulk, or
one person's. No name or e-mail is in a record, so the Auditor may download them too."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from consent import iso27560
from consent.forms import LedgerFilterForm
from consent.models import ConsentEvent
from consent.views.common import subject_or_404
from consent.views.ledger import filtered_ledger
from core.audit import record_event
from core.permissions import requires
from core.timeutil import legal_today


def _download(document: object, name: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1),
        content_type="application/ld+json",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@requires("consent.ledger")
@require_GET
def ledger_records(request: HttpRequest) -> HttpResponse:
    events = filtered_ledger(LedgerFilterForm(request.GET or None))
    document = iso27560.export_document(events)
    record_event(
        action="consent.ledger_exported",
        actor=request.user,
        target_type="consent.consentevent",
        details={
            "rows": len(document["@graph"]),
            "format": "iso27560",
            "filters": request.GET.urlencode(),
        },
    )
    return _download(document, f"consent-records-{legal_today().isoformat()}.jsonld")


@requires("consent.ledger")
@require_GET
def subject_records(request: HttpRequest, pk: int) -> HttpResponse:
    subject = subject_or_404(pk)
    document = iso27560.export_document(ConsentEvent.objects.filter(subject=subject))
    record_event(
        action="consent.ledger_exported",
        actor=request.user,
        target=subject,
        details={"rows": len(document["@graph"]), "format": "iso27560"},
    )
    return _download(document, f"consent-records-person-{subject.pk}.jsonld")
