"""What every endpoint's schema says about errors, so each response is documented."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework.generics import GenericAPIView
from rest_framework.serializers import ListSerializer

from core.api.errors import ErrorSerializer
from core.api.fields import MAX_ID, MAX_PARAMETER, NO_NUL
from core.api.replies import ERASED


def _error(description: str, code: str, message: str) -> OpenApiResponse:
    return OpenApiResponse(
        response=ErrorSerializer,
        description=description,
        examples=[
            OpenApiExample(
                code,
                value={"error": {"code": code, "message": message, "fields": {}}},
                response_only=True,
            )
        ],
    )


UNAUTHENTICATED = _error(
    "No key or session, or the key is unknown, revoked or expired.",
    "not_authenticated",
    "The key is unknown, revoked or expired.",
)
FORBIDDEN = _error(
    "The key lacks the scope, or the user the role.",
    "permission_denied",
    "This key lacks the scope consent:write.",
)
THROTTLED = _error(
    "Too many calls with this key; retry after `Retry-After` seconds.",
    "throttled",
    "Request was throttled.",
)
NOT_FOUND = _error(
    "No such record: the one the path names, or one the request names by id or code "
    "(`fields` names which).",
    "not_found",
    "Not found.",
)
INVALID = OpenApiResponse(
    response=ErrorSerializer,
    description="Bad input, `fields` naming each field and what is wrong with it: `invalid` "
    "when the request breaks this schema, `refused` when a rule the schema states in prose "
    "(a field's `x-rules`: a day in the future, a person under 18) refuses it.",
    examples=[
        OpenApiExample(
            "invalid",
            value={
                "error": {
                    "code": "invalid",
                    "message": "The request is invalid; see the fields.",
                    "fields": {"date_of_birth": ["This person is under 18 …"]},
                }
            },
            response_only=True,
        )
    ],
)
CONFLICT = _error(
    "The Idempotency-Key was used with a different request body.",
    "idempotency_key_reused",
    "This Idempotency-Key was used with a different request.",
)
# A replay of an answer that showed a person erased since (`core.api.replies.forget`).
GONE = _error(
    "Replayed for an Idempotency-Key whose first answer showed a person since erased: not "
    "repeated, and the request is not run again.",
    "gone",
    ERASED["error"]["message"],
)

READ_ERRORS: dict[int, Any] = {400: INVALID, 401: UNAUTHENTICATED, 403: FORBIDDEN, 429: THROTTLED}
ONE_ERRORS: dict[int, Any] = {**READ_ERRORS, 404: NOT_FOUND}
WRITE_ERRORS: dict[int, Any] = {**READ_ERRORS, 404: NOT_FOUND, 409: CONFLICT}

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID). A retry with the same key and body returns the "
    "first answer and changes nothing; the same key with another body is 409.",
)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "core.api.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "`Authorization: Bearer po_…`, a key an Admin created in the portal.",
        }


class PortalSessionScheme(OpenApiAuthenticationExtension):
    target_class = "core.api.auth.SessionAuthentication"
    name = "PortalSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The portal's own pages (POST also needs the X-CSRFToken header).",
        }


class ApiSchema(AutoSchema):
    """The schema of every API view: what each operation needs and takes, stated.

    `x-scope` is the key scope the operation needs (OpenAPI 3.0 lets only OAuth2 schemes name
    scopes); a path's id is a positive 64-bit integer; a field's rules the schema cannot state
    are under its `x-rules` and in its description."""

    def get_operation(self, *args: Any, **kwargs: Any) -> Any:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        if scope := getattr(self.view, "scopes", {}).get(self.method):
            operation["x-scope"] = str(scope)
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            free_text = schema.get("type") == "string" and not {"enum", "format", "pattern"} & set(
                schema
            )
            if parameter["in"] in ("query", "path") and free_text:
                # What `ApiView.initial` refuses of any parameter.
                schema.update(
                    pattern=NO_NUL,
                    maxLength=min(schema.get("maxLength", MAX_PARAMETER), MAX_PARAMETER),
                )
        return operation

    def get_filter_backends(self) -> Any:
        # Only a generic view filters (DRF reads `filter_backends` there alone).
        return super().get_filter_backends() if isinstance(self.view, GenericAPIView) else []

    def _resolve_path_parameters(self, variables: Any) -> Any:
        spectacular: Any = super()  # drf-spectacular is untyped
        parameters = spectacular._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["schema"].get("type") == "integer":
                parameter["schema"].update(minimum=1, maximum=MAX_ID, format="int64")
        return parameters

    def _map_serializer_field(
        self, field: Any, direction: Any, bypass_extensions: bool = False
    ) -> Any:
        spectacular: Any = super()  # drf-spectacular is untyped
        schema = spectacular._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, ListSerializer) and schema.get("type") == "array":
            # drf-spectacular states a ListField's bounds but not a nested serializer's.
            for bound, keyword in (("min_length", "minItems"), ("max_length", "maxItems")):
                if (value := getattr(field, bound, None)) is not None:
                    schema[keyword] = value
        rules = getattr(field, "rules", None)
        # Once: an extension maps the field by calling this again.
        if rules and direction == "request" and "x-rules" not in schema:
            if "$ref" in schema:  # a $ref takes no siblings in OpenAPI 3.0
                schema = {"allOf": [schema]}
            schema["x-rules"] = list(rules)
            schema["description"] = " ".join(
                [schema.get("description", ""), "Refused when:", *rules]
            ).strip()
        return schema
