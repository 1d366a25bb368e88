"""Pieces the consent endpoints share: the person and purpose a call names, the state."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consent.selectors import ConsentState
from processing.models import Purpose
from subjects.api.events import PersonRef

# The marketing tool sends at most this many addresses or people per call.
BATCH_LIMIT = 1000


class PurposeField(serializers.SlugRelatedField[Purpose]):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "The purpose's code, e.g. `newsletter`.")
        super().__init__(slug_field="code", queryset=Purpose.objects.active(), **kwargs)


class ConsentStateSerializer(serializers.Serializer[ConsentState]):
    purpose = serializers.SerializerMethodField()
    status = serializers.ChoiceField(
        choices=[
            "granted",
            "withdrawn",
            "never",
            "expired",
            "objected",
            "objection_pending",
            "not_objected",
        ],
    )
    permitted = serializers.BooleanField(help_text="May the purpose's processing go ahead?")
    since = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.CharField())
    def get_purpose(self, state: ConsentState) -> str:
        return str(state.purpose.code)


class ConsentActionInput(PersonRef):
    purpose = PurposeField()
    occurred_at = serializers.DateTimeField(
        required=False, help_text="When the person acted; default now. A grant cannot be "
        "back-dated; a withdrawal or objection may be.",
    )  # fmt: skip
    evidence_text = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class GrantInput(ConsentActionInput):
    wording = serializers.CharField(max_length=5000, help_text="The wording the person agreed to.")


class EmailBatch(serializers.Serializer[Any]):
    purpose = PurposeField()
    emails = serializers.ListField(
        child=serializers.CharField(max_length=254),
        min_length=1,
        max_length=BATCH_LIMIT,
        help_text=f"Up to {BATCH_LIMIT} addresses (one is fine).",
    )
