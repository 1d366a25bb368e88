"""The base of every API view: authentication, scopes, throttling, idempotent POSTs, the
cursor pagination and the audit event of a read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework import exceptions, pagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import idempotency
from core.api.auth import api_actor, api_key
from core.audit import record_event


class CursorPagination(pagination.CursorPagination):
    """Opaque cursors over the primary key: stable while rows are added, never an offset."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "id"

    def decode_cursor(self, request: Request) -> Any:
        # DRF answers a bad cursor 404; it is bad input, answered 400 naming the parameter.
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError({"cursor": ["Not a cursor this API gave."]}) from None


# Longer than any cursor, code or list of ids the API takes in a query string.
MAX_PARAMETER = 4096


class ApiView(APIView):
    """`permission` is the matrix key a signed-in user needs to read (and what the matrix
    test checks); `permissions_by_method` and `scopes` name the rest per HTTP method."""

    permission = ""
    # The middleware leaves the check to DRF: a key is no session, and the scope decides.
    checks_own_permission = True
    permissions_by_method: dict[str, str] = {}
    scopes: dict[str, str] = {}

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # PostgreSQL refuses a NUL in a string: a query parameter holding one (or absurdly
        # long) is refused by name here, before any lookup could turn it into a 500.
        refused = {
            name: ["Holds a NUL character or is too long."]
            for name, values in request.query_params.lists()
            if any("\x00" in value or len(value) > MAX_PARAMETER for value in values)
        }
        if refused:
            raise exceptions.ValidationError(refused)


class ApiWriteView(ApiView):
    """A view whose POST writes: `create` runs under the `Idempotency-Key` protection."""

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        def run() -> Response:
            try:
                return self.create(request, *args, **kwargs)
            except Exception as exc:  # answered as DRF answers it (4xx, stored), or re-raised
                return self.handle_exception(exc)

        return idempotency.handle(request, run)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise NotImplementedError


def json_object(request: Request) -> dict[str, Any]:
    """The request's body as a JSON object, or 400: a list or a scalar is no record."""
    if not isinstance(request.data, dict):
        raise exceptions.ValidationError({"non_field_errors": ["Give a JSON object."]})
    return request.data


def audit_read(
    request: Request,
    *,
    action: str,
    target_type: str,
    ids: Iterable[Any],
    details: dict[str, Any] | None = None,
) -> None:
    """One event per call that reads personal data (a list is one grouped event), naming the
    key or the user and the rows read: ids only, never a value."""
    ids = [str(pk) for pk in ids]
    key = api_key(request)
    record_event(
        action=action,
        actor=api_actor(request),
        target_type=target_type,
        target_id=ids[0] if len(ids) == 1 else "",
        details={
            **(details or {}),
            "count": len(ids),
            "ids": ids[:1000],
            "api_key": key.prefix if key is not None else "",
        },
    )
