"""Data-subject requests through the API: the platform's in-app form files one (treated as
the public form is: acknowledged, the e-mail to be confirmed); its status and legal due day
can be read back by reference."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.auth import api_actor
from core.api.errors import REFUSED
from core.api.fields import StrictCharField, StrictChoiceField, StrictEmailField
from core.api.inputs import ApiInput
from core.api.models import Scope
from core.api.schema import IDEMPOTENCY_KEY, ONE_ERRORS, WRITE_ERRORS
from core.api.views import ApiView, ApiWriteView, audit_read, json_object
from subject_requests.choices import RequestType, Transmission
from subject_requests.models import SubjectRequest
from subject_requests.services.common import RequestError
from subject_requests.services.intake import submit_request
from subject_requests.services.transmission import Receiver, check_receiver


class ReceiverInput(ApiInput):
    name = StrictCharField(max_length=200, help_text="The receiving company's name.")
    email = StrictEmailField(help_text="Its address for receiving data.")
    rules = (
        "The request is not for data portability: only its data goes to another company "
        "(GDPR Art. 20(2)).",
        "The address is the requester's own, or not on a domain name (an IP address, a "
        "host without a dot).",
    )


class RequestInput(ApiInput):
    type = StrictChoiceField(choices=RequestType.choices)
    name = StrictCharField(max_length=200)
    email = StrictEmailField(help_text="Where the answer goes; confirmed by a link.")
    description = StrictCharField(required=False, allow_blank=True, max_length=5000)
    language = StrictChoiceField(choices=settings.LANGUAGES, default="en")
    receiver = ReceiverInput(
        required=False,
        help_text="GDPR Art. 20(2), a portability request only: the company the package is to "
        "be sent to instead of the requester. A DPO confirms or declines it (Art. 20(4)).",
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        """The receiver by the service's rule (`check_receiver`), reported on its field."""
        given = data.get("receiver")
        if given is None:
            return data
        try:
            receiver = check_receiver(type=data["type"], receiver=Receiver(**given))
        except RequestError as refused:
            raise serializers.ValidationError({"receiver": [str(refused)]}, code=REFUSED) from None
        assert receiver is not None
        if receiver.email.lower() == data["email"].strip().lower():
            own = "This is the requester's own address: leave out receiver."
            raise serializers.ValidationError({"receiver": [own]}, code=REFUSED)
        data["receiver"] = receiver
        return data


class RequestStatusSerializer(serializers.Serializer[SubjectRequest]):
    reference = serializers.CharField()
    type = serializers.CharField()
    status = serializers.CharField()
    received_at = serializers.DateTimeField()
    due_on = serializers.SerializerMethodField(help_text="The legal due day (GDPR Art. 12(3)).")
    target_on = serializers.SerializerMethodField(help_text="The day the operator aims for.")
    overdue = serializers.SerializerMethodField()
    transmission = serializers.ChoiceField(
        choices=[("", "none asked"), *Transmission.choices],
        help_text="Sending the package to another company (Art. 20(2)): empty when none was "
        "asked, else asked, confirmed or declined.",
    )

    def get_due_on(self, request: SubjectRequest) -> str:
        return request.due_on(timezone.now()).isoformat()

    def get_target_on(self, request: SubjectRequest) -> str:
        return request.target_on(timezone.now()).isoformat()

    def get_overdue(self, request: SubjectRequest) -> bool:
        return request.is_overdue(timezone.now())


class RequestsApi(ApiView):
    permission = "requests.queue"
    permissions_by_method = {"POST": "requests.enter"}
    scopes = {"GET": Scope.REQUESTS_READ, "POST": Scope.REQUESTS_WRITE}


@extend_schema(tags=["subject requests"])
class FileRequest(RequestsApi, ApiWriteView):
    @extend_schema(
        summary="File a data-subject request",
        description="As the public form: the request is received now, acknowledged with its "
        "reference and due day, and the person confirms their e-mail by a link.",
        request=RequestInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: RequestStatusSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "From the platform's privacy settings",
                value={
                    "type": "access",
                    "name": "Mari Tamm",
                    "email": "mari@client.example",
                    "language": "et",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = RequestInput(data=json_object(request))
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            filed = submit_request(
                type=data["type"],
                name=data["name"],
                email=data["email"],
                description=data.get("description", ""),
                language=data["language"],
                receiver=data.get("receiver"),
                actor=api_actor(request),
            )
        except RequestError as refused:
            raise exceptions.ValidationError(
                {"non_field_errors": [str(refused)]}, code=REFUSED
            ) from None
        return Response(RequestStatusSerializer(filed).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["subject requests"])
class RequestStatus(RequestsApi):
    @extend_schema(
        summary="A request's status and legal due day",
        description="By the reference given when it was filed (DSR-YYYY-NNNNNN).",
        responses={200: RequestStatusSerializer, **ONE_ERRORS},
    )
    def get(self, request: Request, reference: str) -> Response:
        found = get_object_or_404(SubjectRequest, reference=reference)
        audit_read(
            request, action="api.request_read", target_type="subject_requests.subjectrequest",
            ids=[found.pk],
        )  # fmt: skip
        return Response(RequestStatusSerializer(found).data)
