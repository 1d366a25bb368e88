"""What every endpoint's schema says about errors, so each response is documented."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from core.api.errors import ErrorSerializer
from core.api.idempotency import ERASED


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
NOT_FOUND = _error("No such record.", "not_found", "Not found.")
INVALID = OpenApiResponse(
    response=ErrorSerializer,
    description="Bad input: `fields` names each field and what is wrong with it.",
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
# A replay of an answer that showed a person erased since (`idempotency.forget`).
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
