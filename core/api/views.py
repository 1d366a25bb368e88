"""The base of every API view: authentication, scopes, throttling, idempotent POSTs, the
cursor pagination and the audit event of a read."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from rest_framework import exceptions, pagination, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import idempotency
from core.api.auth import api_actor, api_key
from core.api.errors import REFUSED
from core.api.fields import MAX_PARAMETER
from core.api.filters import ApiFilterBackend
from core.audit import record_event


class CursorPagination(pagination.CursorPagination):
    """Opaque cursors over the primary key: stable while rows are added, never an offset."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "id"
    CURSOR_RULE = "It is not a cursor a page of this list gave (`next` or `previous`)."

    def get_page_size(self, request: Request) -> int:
        # DRF falls back to the default on a size it cannot read; the schema refuses it.
        given = request.query_params.get(self.page_size_query_param)
        if given is None:
            return self.page_size
        if not re.fullmatch(r"[0-9]{1,7}", given) or not 1 <= int(given) <= self.max_page_size:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"Give a number from 1 to {self.max_page_size}."]}
            )
        return int(given)

    def decode_cursor(self, request: Request) -> Any:
        # DRF answers a bad cursor 404; it is a refusal by the parameter's rule (400), which
        # names it: no schema can say which strings a page gave.
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError(
                {self.cursor_query_param: ["Not a cursor this API gave."]}, code=REFUSED
            ) from None

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
                parameter["description"] = f"Results per page, 1 to {self.max_page_size}."
            elif parameter["name"] == self.cursor_query_param:
                parameter["schema"]["x-rules"] = [self.CURSOR_RULE]
                parameter["description"] = f"The page to read. Refused when: {self.CURSOR_RULE}"
        return parameters


class _ApiSchemaOf:
    """`core.api.schema.ApiSchema`, imported when first asked for: drf-spectacular imports
    DRF's generics, which import this module for the pagination class."""

    inspector: Any = None

    def _inspector(self) -> Any:
        if self.inspector is None:
            from core.api.schema import ApiSchema

            self.inspector = ApiSchema()
        return self.inspector

    def __get__(self, view: Any, owner: Any) -> Any:
        return self._inspector().__get__(view, owner)

    def __set__(self, view: Any, schema: Any) -> None:
        self._inspector().__set__(view, schema)


class ApiView(APIView):
    """`permission` is the matrix key a signed-in user needs to read (and what the matrix
    test checks); `permissions_by_method` and `scopes` name the rest per HTTP method."""

    permission = ""
    # The middleware leaves the check to DRF: a key is no session, and the scope decides.
    checks_own_permission = True
    permissions_by_method: dict[str, str] = {}
    scopes: dict[str, str] = {}
    schema = _ApiSchemaOf()
    filter_backends: Sequence[type[Any]] = [ApiFilterBackend]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # PostgreSQL refuses a NUL in a string: a query parameter holding one (or absurdly
        # long) is refused by name here, before any lookup could turn it into a 500. No
        # parameter of the API is a list, so one given twice is refused rather than read as
        # whichever came last.
        refused = {
            name: ["Holds a NUL character or is too long."]
            for name, values in request.query_params.lists()
            if any("\x00" in value or len(value) > MAX_PARAMETER for value in values)
        } | {
            name: ["Give this parameter once."]
            for name, values in request.query_params.lists()
            if len(values) > 1
        }
        if refused:
            raise exceptions.ValidationError(refused)
        if any("\x00" in str(value) for value in kwargs.values()):
            raise exceptions.NotFound()  # no record has a key PostgreSQL cannot even store


class ApiWriteView(ApiView):
    """A view whose POST writes: `create` runs under the `Idempotency-Key` protection."""

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        def run() -> Response:
            try:
                # All or nothing: a refusal halfway (a batch's fifth row) undoes the first
                # four; the stored answer of the Idempotency-Key, outside, stays.
                with transaction.atomic():
                    return self.create(request, *args, **kwargs)
            except Exception as exc:  # answered as DRF answers it (4xx, stored), or re-raised
                return self.handle_exception(exc)

        return idempotency.handle(request, run)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise NotImplementedError


def read_query(request: Request, query: type[serializers.Serializer[Any]]) -> dict[str, Any]:
    """The query string as `query` reads it, from a plain mapping: from a query dict DRF reads
    an empty value as no value at all, which the schema does not say (`at=` is no time). No
    parameter is given twice (`ApiView.initial`)."""
    given = query(data=request.query_params.dict())
    given.is_valid(raise_exception=True)
    return dict(given.validated_data)


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
