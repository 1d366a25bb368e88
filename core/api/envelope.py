"""The API's error shape as data, `{"error": {"code", "message", "fields"}}`, without Django REST
framework: what writes a stored answer outside a request (`core.api.replies`, called by the
purge) uses it without importing the framework (`core.api.errors` holds the rest)."""

from __future__ import annotations

from typing import Any

CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    429: "throttled",
    500: "server_error",
}


def error_body(
    status_code: int, message: str, fields: dict[str, Any] | None = None, code: str = ""
) -> dict[str, Any]:
    return {
        "error": {
            "code": code or CODES.get(status_code, "error"),
            "message": message,
            "fields": fields or {},
        }
    }
