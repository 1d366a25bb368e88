"""Read-only API of the record of processing (GDPR Art. 30): purposes, processors, transfers."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from core.api.filters import ApiFilterSet
from core.api.models import Scope
from core.api.schema import READ_ERRORS
from core.api.views import ApiView
from processing.models import LegalBasis, Processor, Purpose, Transfer, TransferGround


class PurposeSerializer(serializers.ModelSerializer[Purpose]):
    is_consent_based = serializers.BooleanField(read_only=True)
    is_legitimate_interest = serializers.BooleanField(read_only=True)
    categories: Any = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = Purpose
        fields = [
            "id", "code", "name", "description", "legal_basis", "subject_kinds", "categories",
            "is_direct_marketing", "is_consent_based", "is_legitimate_interest", "active",
        ]  # fmt: skip


class ProcessorSerializer(serializers.ModelSerializer[Processor]):
    category: Any = serializers.SlugRelatedField(read_only=True, slug_field="code")
    country = serializers.CharField(read_only=True)
    purposes: Any = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = Processor
        fields = ["id", "name", "category", "country", "dpa_reference", "dpa_signed_on", "purposes"]


class TransferSerializer(serializers.ModelSerializer[Transfer]):
    destination_country = serializers.CharField(read_only=True)

    class Meta:
        model = Transfer
        fields = [
            "id", "processor", "recipient", "destination_country", "ground",
            "certification_checked_on", "document_reference", "subject_countries", "description",
        ]  # fmt: skip


class PurposeFilter(ApiFilterSet):
    legal_basis = django_filters.ChoiceFilter(choices=LegalBasis.choices)

    class Meta:
        model = Purpose
        fields = ["legal_basis", "is_direct_marketing", "active"]


class TransferFilter(ApiFilterSet):
    ground = django_filters.ChoiceFilter(choices=TransferGround.choices)

    class Meta:
        model = Transfer
        fields = ["ground"]


class RegisterList(ApiView, generics.ListAPIView[Any]):
    permission = "processing.register"
    scopes = {"GET": Scope.REGISTER_READ}


@extend_schema(
    summary="Purposes of processing",
    description="The register's purposes with their legal basis (GDPR Art. 6(1)) and who "
    "they apply to. Filter by `legal_basis`, `is_direct_marketing`, `active`.",
    responses={200: PurposeSerializer(many=True), **READ_ERRORS},
)
class PurposeList(RegisterList):
    queryset = Purpose.objects.prefetch_related("categories").order_by("id")
    serializer_class = PurposeSerializer
    filterset_class = PurposeFilter


@extend_schema(
    summary="Processors",
    description="Processors with their category, location and the purposes they serve "
    "(a person may ask for their names and locations).",
    responses={200: ProcessorSerializer(many=True), **READ_ERRORS},
)
class ProcessorList(RegisterList):
    queryset = Processor.objects.select_related("category").prefetch_related("purposes")
    serializer_class = ProcessorSerializer
    filterset_fields = ["category__code"]


@extend_schema(
    summary="Transfers outside the EEA",
    description="Each transfer with its legal ground (adequacy, DPF, SCC, BCR).",
    responses={200: TransferSerializer(many=True), **READ_ERRORS},
)
class TransferList(RegisterList):
    queryset = Transfer.objects.all()
    serializer_class = TransferSerializer
    filterset_class = TransferFilter
