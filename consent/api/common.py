"""Pieces the consent endpoints share: the person and purpose a call names, the state."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consent.selectors import ConsentState
from core.api.fields import StrictCharField, StrictDateTimeField, StrictSlugRelatedField
from core.api.inputs import ApiInput
from processing.models import Purpose
from subjects.api.events import PersonRef

# The marketing tool sends at most this many addresses or people per call.
BATCH_LIMIT = 1000


class PurposeField(StrictSlugRelatedField):
    """An active purpose by its code; an unknown one is 404 naming the field."""

    default_error_messages = {"does_not_exist": "No active purpose has this code."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "The purpose's code, e.g. `newsletter`.")
        super().__init__(slug_field="code", queryset=self.purposes(), **kwargs)

    def purposes(self) -> QuerySet[Purpose]:
        return Purpose.objects.active()


class MarketingPurposeField(PurposeField):
    """A direct-marketing purpose: any other code is 404, as an unknown one is."""

    default_error_messages = {"does_not_exist": "No active direct-marketing purpose has this code."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "An active direct-marketing purpose, e.g. `newsletter`.")
        super().__init__(**kwargs)

    def purposes(self) -> QuerySet[Purpose]:
        return Purpose.objects.active().filter(is_direct_marketing=True)


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


# What the consent services refuse of a time and a purpose (`consent.services.ledger`).
IN_THE_FUTURE = "It is in the future (more than two minutes after the call)."
NOT_CONSENT = (
    "The purpose does not rest on consent (GDPR Art. 6(1)(a)): nothing to grant or withdraw."
)


class ConsentActionInput(PersonRef):
    purpose = PurposeField(rules=[NOT_CONSENT])
    occurred_at = StrictDateTimeField(
        required=False, help_text="When the person acted; default now. A grant cannot be "
        "back-dated; a withdrawal or objection may be.", rules=[IN_THE_FUTURE],
    )  # fmt: skip
    evidence_text = StrictCharField(required=False, allow_blank=True, max_length=2000)
    rules = ("The person has been anonymised: nothing can be recorded of them.",)


class GrantInput(ConsentActionInput):
    occurred_at = StrictDateTimeField(
        required=False,
        help_text="When the person agreed; default now.",
        rules=[
            "It is more than two minutes before or after the call: consent is not back-dated "
            "(no earlier processing becomes lawful by it), nor dated in the future."
        ],
    )
    wording = StrictCharField(max_length=5000, help_text="The wording the person agreed to.")


class ObjectionInput(ConsentActionInput):
    purpose = PurposeField(
        rules=["The purpose does not rest on legitimate interest (GDPR Art. 21): nothing to "
               "object to (withdraw consent instead)."]
    )  # fmt: skip


class EmailBatch(ApiInput):
    purpose = PurposeField()
    emails = serializers.ListField(
        child=StrictCharField(max_length=254),
        min_length=1,
        max_length=BATCH_LIMIT,
        help_text=f"Up to {BATCH_LIMIT} addresses (one is fine).",
    )
