"""Organisations, the client companies: list, read, and create-or-update one by its registry
code — so the platform learns the portal's id of a company before it reports the company's
lifecycle events (trial, conversion, contract end, invoices, claims), which name it by that id,
and before it sends people who work there.

Writes go through `subjects.services.organisations` (validation, the audit event naming the
key). A company's status is not written here: it follows from its events (a conversion makes
it a client, a contract's end a former client), as on the organisation's page.
"""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.auth import api_actor
from core.api.fields import CountryField, StrictCharField
from core.api.filters import ApiFilterSet
from core.api.inputs import ApiInput
from core.api.models import Scope
from core.api.schema import IDEMPOTENCY_KEY, ONE_ERRORS, READ_ERRORS, WRITE_ERRORS
from core.api.views import ApiWriteView, json_object
from subjects.api.people import UPSERT_ACTIONS, SubjectsApi
from subjects.fields import ORGANISATION_FIELD_NAMES, OrganisationFields
from subjects.models import Organisation, OrganisationStatus
from subjects.services.organisations import create_organisation, update_organisation


class OrganisationSerializer(serializers.ModelSerializer[Organisation]):
    country = serializers.CharField(read_only=True, help_text="ISO 3166-1 alpha-2; may be blank.")

    class Meta:
        model = Organisation
        fields = ["id", *ORGANISATION_FIELD_NAMES, "created_at"]
        read_only_fields = fields


class OrganisationInputSerializer(ApiInput):
    name = StrictCharField(max_length=200)
    registry_code = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=50,
        help_text="The company's code in its country's business register: the organisation "
        "is matched on it (with the country). Without one a new organisation is created.",
    )
    country = CountryField()


class OrganisationUpsertSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=UPSERT_ACTIONS)
    organisation = OrganisationSerializer()


class OrganisationFilter(ApiFilterSet):
    registry_code = django_filters.CharFilter()
    country = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(choices=OrganisationStatus.choices)

    class Meta:
        model = Organisation
        fields = ["registry_code", "country", "status"]


@extend_schema(tags=["organisations"])
class OrganisationListCreate(SubjectsApi, ApiWriteView, generics.ListAPIView[Any]):
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter
    queryset = Organisation.objects.all()

    @extend_schema(
        summary="List organisations",
        description="The client companies, oldest first, by cursor; `registry_code` and "
        "`country` find one company's id.",
        responses={200: OrganisationSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create or update an organisation",
        description="Matched on `registry_code` and `country`: a company already known gets "
        "its name corrected (200), otherwise it is created as a prospect (201). The status "
        "follows from the company's events, not from this call. Audited with the key.",
        request=OrganisationInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            200: OrganisationUpsertSerializer,
            201: OrganisationUpsertSerializer,
            **WRITE_ERRORS,
        },
        examples=[
            OpenApiExample(
                "A company that signed up for a trial",
                value={"name": "Kask ja Tamm OÜ", "registry_code": "12345678", "country": "EE"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = OrganisationInputSerializer(data=json_object(request))
        given.is_valid(raise_exception=True)
        values: OrganisationFields = {
            "name": given.validated_data["name"],
            "registry_code": given.validated_data.get("registry_code", "").strip(),
            "country": given.validated_data.get("country", "").strip().upper(),
        }
        known = (
            Organisation.objects.filter(
                registry_code=values["registry_code"], country=values["country"]
            ).first()
            if values["registry_code"]
            else None
        )
        actor = api_actor(request)
        code: int
        if known is None:
            organisation = create_organisation(actor=actor, **values)
            action, code = "create", status.HTTP_201_CREATED
        else:
            organisation = update_organisation(
                organisation=known, actor=actor, name=values["name"].strip()
            )
            action = "unchanged" if organisation.name == known.name else "update"
            code = status.HTTP_200_OK
        return Response(
            {"action": action, "organisation": OrganisationSerializer(organisation).data},
            status=code,
        )


@extend_schema(tags=["organisations"])
class OrganisationDetail(SubjectsApi, generics.RetrieveAPIView[Any]):
    serializer_class = OrganisationSerializer
    scopes = {"GET": Scope.SUBJECTS_READ}
    queryset = Organisation.objects.all()

    @extend_schema(
        summary="Read an organisation",
        description="One company by the portal's id.",
        responses={200: OrganisationSerializer, **ONE_ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
