"""Read-only API of retention: the rules with the cut-off of the next nightly purge, and the
purge runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers

from core.api.models import Scope
from core.api.schema import READ_ERRORS
from core.api.views import ApiView
from retention.models import PurgeRun, RetentionRule
from retention.periods import next_purge_date, purge_cutoff


class RetentionRuleSerializer(serializers.ModelSerializer[RetentionRule]):
    next_purge_on = serializers.SerializerMethodField(
        help_text="The `as_of` day of the next nightly purge (Europe/Tallinn)."
    )
    next_cutoff = serializers.SerializerMethodField(
        help_text="At that purge, records whose anchor is before this day are removed "
        "(removed when anchor + period < as of); null for a rule not in force."
    )

    class Meta:
        model = RetentionRule
        fields = [
            "id", "code", "name", "record_type", "anchor", "period_years", "period_months",
            "period_days", "action", "legal_reference", "active", "confirmed", "next_purge_on",
            "next_cutoff",
        ]  # fmt: skip

    @extend_schema_field(serializers.DateField())
    def get_next_purge_on(self, rule: RetentionRule) -> dt.date:
        return next_purge_date()

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_next_cutoff(self, rule: RetentionRule) -> dt.date | None:
        if not rule.in_force:
            return None
        return purge_cutoff(next_purge_date(), rule.period)


class PurgeRunSerializer(serializers.ModelSerializer[PurgeRun]):
    class Meta:
        model = PurgeRun
        fields = [
            "id", "status", "as_of", "dry_run", "started_at", "finished_at", "counts", "total",
            "note",
        ]  # fmt: skip


@extend_schema(
    summary="Retention rules and their next deadlines",
    description="Every rule with its period and legal source, the day of the next nightly "
    "purge and the anchor cut-off it applies.",
    responses={200: RetentionRuleSerializer(many=True), **READ_ERRORS},
)
class RetentionRuleList(ApiView, generics.ListAPIView[Any]):
    permission = "retention.rules"
    scopes = {"GET": Scope.REGISTER_READ}
    queryset = RetentionRule.objects.all()
    serializer_class = RetentionRuleSerializer
    filterset_fields = ["active", "record_type"]


@extend_schema(
    summary="Purge runs",
    description="Nightly and manual purge runs, newest last in cursor order, with the rows "
    "removed per rule and model. Filter by `status`, `dry_run`.",
    responses={200: PurgeRunSerializer(many=True), **READ_ERRORS},
)
class PurgeRunList(ApiView, generics.ListAPIView[Any]):
    permission = "retention.preview"
    scopes = {"GET": Scope.REGISTER_READ}
    queryset = PurgeRun.objects.all()
    serializer_class = PurgeRunSerializer
    filterset_fields = ["status", "dry_run"]
