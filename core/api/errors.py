"""One error shape for every answer of the API, whoever produced it:
`{"error": {"code": "...", "message": "...", "fields": {"field": ["...", ...]}}}`.

Messages name fields and rules, never a value the caller sent: a refused e-mail address is
not echoed into a client's logs or ours.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.api.envelope import CODES, error_body

logger = logging.getLogger(__name__)

NON_FIELD = "non_field_errors"
# A refusal's code says what kind it is: the request breaks the schema (any other code), names
# a record that does not exist (404), or meets a rule the schema states only in prose (its
# `x-rules`: a service's refusal).
NOT_FOUND_CODES = frozenset({"not_found", "does_not_exist"})
REFUSED = "refused"


def error_json(status_code: int, message: str, **kwargs: Any) -> JsonResponse:
    return JsonResponse(error_body(status_code, message, **kwargs), status=status_code)


def _flatten(detail: Any) -> Any:
    """DRF's nested `ErrorDetail` lists and dicts as plain strings, keyed as given."""
    if isinstance(detail, dict):
        return {str(key): _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def _validation_fields(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        flattened: dict[str, Any] = _flatten(detail)
        return flattened
    return {NON_FIELD: _flatten(detail if isinstance(detail, list) else [detail])}


def django_validation_fields(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            (NON_FIELD if field == "__all__" else field): list(messages)
            for field, messages in exc.message_dict.items()
        }
    return {NON_FIELD: list(exc.messages)}


def _codes(detail: Any) -> set[str]:
    if isinstance(detail, dict):
        return set().union(*map(_codes, detail.values()))
    if isinstance(detail, list):
        return set().union(*map(_codes, detail))
    return {str(getattr(detail, "code", None) or "invalid")}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's `EXCEPTION_HANDLER`: a service's `ValidationError` is a refusal by a rule (400
    `refused`), never a 500; a request that names no existing record is 404."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_validation_fields(exc), code=REFUSED)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, OverflowError):
        # An id or number beyond the database's integers (SQLite raises, PostgreSQL casts).
        exc = exceptions.ValidationError({NON_FIELD: ["A number is out of range."]})
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _validation_fields(exc.detail)
        codes = _codes(exc.detail)
        if codes and codes <= NOT_FOUND_CODES:
            response.status_code = 404
            body = error_body(404, "The request names a record that does not exist.", fields)
        elif codes == {REFUSED}:
            body = error_body(400, "A rule refuses the request; see the fields.", fields, REFUSED)
        else:
            body = error_body(400, "The request is invalid; see the fields.", fields)
    else:
        detail = getattr(exc, "detail", "")
        message = str(detail) if not isinstance(detail, dict | list) else "Request refused."
        body = error_body(response.status_code, message, code=_code(exc, response.status_code))
    response.data = body
    return response


def _code(exc: Exception, status_code: int) -> str:
    if isinstance(exc, exceptions.APIException) and status_code == 409:
        return str(exc.default_code)
    return CODES.get(status_code, "error")


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """`handler404`: JSON under /api/, the portal's page elsewhere."""
    if is_api(request):
        return error_json(404, "Not found.")
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Http404())


def server_error(request: HttpRequest) -> HttpResponse:
    """`handler500`: JSON under /api/ (a bug, logged by Django without the body)."""
    if is_api(request):
        return error_json(500, "Something went wrong on our side; it has been logged.")
    from django.views.defaults import server_error as page

    return page(request)


class ErrorDetailSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `invalid`.")
    message = serializers.CharField(help_text="What went wrong, without any personal data.")


# `fields` is also the name of every serializer's own attribute: declared after the class.
ErrorDetailSerializer._declared_fields["fields"] = serializers.DictField(
    help_text="Per field, a list of messages; for a bulk call, per row index an object of "
    "such lists.",
)


class ErrorSerializer(serializers.Serializer[Any]):
    error = ErrorDetailSerializer()


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This Idempotency-Key was used with a different request."
    default_code = "idempotency_key_reused"
