"""Consent records in the ISO/IEC TS 27560 shape (`consent.iso27560`), through the API: a
person's records, and the ledger's in bulk, a page of events at a time. The records name
the person by id only, as the ledger's CSV does."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from consent.iso27560 import context, export_document, iter_consent_records
from consent.models import ConsentEvent
from core.api.fields import MAX_ID, StrictSlugRelatedField
from core.api.models import Scope
from core.api.schema import ONE_ERRORS
from core.api.views import ApiView, audit_read, read_query
from processing.models import Purpose
from subjects.models import DataSubject

RECORDS_PAGE = 1000
RECORD = (
    "A JSON-LD consent record (ISO/IEC TS 27560 after the W3C DPV guide), valid against "
    "`consent/schemas/iso27560-record.schema.json`; its `@context` is served in full so it "
    "expands without a network."
)


class RecordsApi(ApiView):
    permission = "consent.ledger"
    scopes = {"GET": Scope.CONSENT_READ}


class ConsentRecordSerializer(serializers.Serializer[Any]):
    """A record in the schema: built by `consent.iso27560`, not by a serializer."""


class ConsentRecordSchema(OpenApiSerializerExtension):
    target_class = ConsentRecordSerializer

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": {}, "description": RECORD}


@extend_schema(tags=["consent"])
class PersonConsentRecords(RecordsApi, generics.GenericAPIView[Any]):
    queryset = ConsentEvent.objects.all()

    @extend_schema(
        summary="A person's consent records (ISO/IEC TS 27560)",
        description="Every ledger event of the person as a consent record, each a JSON-LD "
        "document with its status history for the purpose up to that event; in ledger order "
        "(the order they were recorded), a page at a time by cursor as every list.",
        responses={200: ConsentRecordSerializer(many=True), **ONE_ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        subject = get_object_or_404(DataSubject.objects.all(), pk=pk)
        page = self.paginate_queryset(self.get_queryset().filter(subject=subject))
        assert page is not None  # every API list is paginated
        ids = [event.pk for event in page]
        by_id = {
            record["identifier"]: {"@context": context(), **record}
            for record in iter_consent_records(ConsentEvent.objects.filter(pk__in=ids))
        }
        records = [by_id[f"consent-event-{pk}"] for pk in ids]
        audit_read(
            request, action="api.consent_records_read", target_type="subjects.datasubject",
            ids=[subject.pk], details={"records": len(records)},
        )  # fmt: skip
        return self.get_paginated_response(records)


class RecordsQuery(serializers.Serializer[Any]):
    purpose = StrictSlugRelatedField(
        slug_field="code",
        queryset=Purpose.objects.all(),
        required=False,
        help_text="Only this purpose's events, by its code.",
    )
    after = serializers.IntegerField(
        min_value=0, max_value=MAX_ID, default=0, help_text="Events after this ledger id."
    )


@extend_schema(tags=["consent"])
class ConsentRecordsExport(RecordsApi):
    @extend_schema(
        summary="The ledger as consent records (ISO/IEC TS 27560), in bulk",
        description=f"One JSON-LD document: the context once and up to {RECORDS_PAGE} records "
        "in `@graph`, oldest event first; `next` is the URL of the following page, or null.",
        parameters=[RecordsQuery],
        responses={
            200: OpenApiResponse(response=OpenApiTypes.OBJECT, description=RECORD),
            **ONE_ERRORS,
        },
    )
    def get(self, request: Request) -> Response:
        query = read_query(request, RecordsQuery)
        events = ConsentEvent.objects.filter(pk__gt=query["after"])
        if purpose := query.get("purpose"):
            events = events.filter(purpose=purpose)
        page = list(events.order_by("pk").values_list("pk", flat=True)[: RECORDS_PAGE + 1])
        document = export_document(ConsentEvent.objects.filter(pk__in=page[:RECORDS_PAGE]))
        following = None
        if len(page) > RECORDS_PAGE:
            params = request.query_params.copy()
            params["after"] = str(page[RECORDS_PAGE - 1])
            following = request.build_absolute_uri(
                f"{reverse('api_consent_records')}?{params.urlencode()}"
            )
        audit_read(
            request, action="api.consent_records_read", target_type="consent.consentevent",
            ids=page[:RECORDS_PAGE],
        )  # fmt: skip
        return Response({**document, "next": following})
