"""The consent ledger through the API: grant, withdraw and object append to the ledger (the
services refuse what the law refuses) and answer with the new state; the state now or at a
moment; may these addresses be mailed for a purpose."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from consent import services
from consent.api.common import (
    ConsentActionInput,
    ConsentStateSerializer,
    EmailBatch,
    GrantInput,
    ObjectionInput,
)
from consent.models import Channel, ConsentEvent
from consent.selectors import consent_state
from consent.sync import mailable_positions
from core.api.auth import api_actor
from core.api.fields import StrictDateTimeField
from core.api.models import Scope
from core.api.schema import IDEMPOTENCY_KEY, ONE_ERRORS, WRITE_ERRORS
from core.api.views import ApiView, ApiWriteView, audit_read, json_object, read_query
from processing.models import Purpose
from subjects.models import DataSubject

TARGET = "subjects.datasubject"


class ActionResult(serializers.Serializer[Any]):
    event = serializers.IntegerField(help_text="The ledger event appended.")
    state = ConsentStateSerializer()


class ConsentWrite(ApiWriteView):
    permission = "consent.log"
    scopes = {"POST": Scope.CONSENT_WRITE}
    input: type[serializers.Serializer[Any]] = ConsentActionInput

    def append(self, request: Request, data: dict[str, Any]) -> ConsentEvent:
        raise NotImplementedError

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = self.input(data=json_object(request))
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        event = self.append(request, data)
        state = consent_state(data["person"], data["purpose"])
        return Response(
            {"event": event.pk, "state": ConsentStateSerializer(state).data},
            status=status.HTTP_201_CREATED,
        )


def _common(request: Request, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "subject": data["person"],
        "purpose": data["purpose"],
        "channel": Channel.API,
        "actor": api_actor(request),
        "evidence_text": data.get("evidence_text", ""),
        "occurred_at": data.get("occurred_at"),
    }


@extend_schema(tags=["consent"])
class GrantConsent(ConsentWrite):
    input = GrantInput

    @extend_schema(
        summary="Record consent given",
        description="Appends a grant for a consent-based purpose (GDPR Art. 6(1)(a)). A grant "
        "cannot be back-dated, nor dated before the policy version in force.",
        request=GrantInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ActionResult, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Newsletter sign-up in the platform",
                value={
                    "external_id": "u-1842",
                    "purpose": "direct-marketing",
                    "wording": "Send me the product newsletter.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "The new state",
                value={
                    "event": 311,
                    "state": {
                        "purpose": "direct-marketing",
                        "status": "granted",
                        "permitted": True,
                        "since": "2026-11-29T10:00:00Z",
                    },
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def append(self, request: Request, data: dict[str, Any]) -> ConsentEvent:
        return services.grant_consent(**_common(request, data), wording=data["wording"])


@extend_schema(tags=["consent"])
class WithdrawConsent(ConsentWrite):
    @extend_schema(
        summary="Record a withdrawal of consent",
        description="Appends a withdrawal (Art. 7(3)); not retroactive. It may carry the time "
        "the person acted (`occurred_at`), earlier than now.",
        request=ConsentActionInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ActionResult, **WRITE_ERRORS},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def append(self, request: Request, data: dict[str, Any]) -> ConsentEvent:
        return services.withdraw_consent(**_common(request, data))


@extend_schema(tags=["consent"])
class ObjectToProcessing(ConsentWrite):
    input = ObjectionInput

    @extend_schema(
        summary="Record an objection",
        description="An objection to legitimate-interest processing (Art. 21). To direct "
        "marketing it is absolute: the address is suppressed and a prospect erased; to other "
        "processing it opens the DPO's review and restricts processing meanwhile.",
        request=ObjectionInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ActionResult, **WRITE_ERRORS},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def append(self, request: Request, data: dict[str, Any]) -> ConsentEvent:
        return services.object_to_processing(**_common(request, data))


class StateQuery(serializers.Serializer[Any]):
    at = StrictDateTimeField(required=False, help_text="The moment to read the state at.")


@extend_schema(tags=["consent"])
class ConsentStateView(ApiView):
    permission = "subjects.detail"
    scopes = {"GET": Scope.CONSENT_READ}

    @extend_schema(
        summary="A person's consent and objection state",
        description="For every active purpose that applies to the person's kind: the state now, "
        "or at `at` (the ledger read by when the person acted).",
        parameters=[StateQuery],
        responses={200: ConsentStateSerializer(many=True), **ONE_ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        query = read_query(request, StateQuery)
        at = query.get("at") or timezone.now()
        subject = get_object_or_404(DataSubject.objects.active(), pk=pk)
        purposes = [p for p in Purpose.objects.active() if p.applies_to_kind(subject.kind)]
        states = [consent_state(subject, purpose, at) for purpose in purposes]
        audit_read(request, action="api.consent_read", target_type=TARGET, ids=[subject.pk])
        return Response([ConsentStateSerializer(state).data for state in states])


class MayMailResult(serializers.Serializer[Any]):
    email = serializers.CharField()
    may_mail = serializers.BooleanField()


class MayMailResults(serializers.Serializer[Any]):
    results = MayMailResult(many=True)


@extend_schema(tags=["consent"])
class MayMail(ApiWriteView):
    permission = "subjects.detail"
    scopes = {"POST": Scope.CONSENT_READ}

    @extend_schema(
        summary="May these addresses be mailed for a purpose?",
        description="One address or up to 1 000: each answered in the order sent, matched by "
        "blind index. An address the portal does not know may not be mailed.",
        request=EmailBatch,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: MayMailResults, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Two addresses",
                value={
                    "purpose": "direct-marketing",
                    "emails": ["anna@client.example", "old@client.example"],
                },
                request_only=True,
            ),
            OpenApiExample(
                "Answered in the order sent",
                value={
                    "results": [
                        {"email": "anna@client.example", "may_mail": True},
                        {"email": "old@client.example", "may_mail": False},
                    ]
                },
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = EmailBatch(data=json_object(request))
        given.is_valid(raise_exception=True)
        emails: list[str] = given.validated_data["emails"]
        purpose: Purpose = given.validated_data["purpose"]
        mailable = mailable_positions(emails, purpose=purpose)
        audit_read(
            request,
            action="api.may_mail_checked",
            target_type="processing.purpose",
            ids=[],
            details={"purpose": purpose.code, "addresses": len(emails)},
        )
        results = [{"email": e, "may_mail": i in mailable} for i, e in enumerate(emails)]
        return Response({"results": results})
