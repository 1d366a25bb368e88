"""The API's schema: valid by drf-spectacular's own validation, and the API keeps it under
schemathesis: generated requests for every operation, valid and not, never
get a 5xx, and every answer has a documented status, content type and body."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.api.models import Scope
from tests.api_helpers import make_key

pytestmark = pytest.mark.django_db

# Examples per operation: ~25 operations, so the run stays well under two minutes on CI.
MAX_EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_the_schema_passes_drf_spectaculars_validation_without_a_warning() -> None:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = out.getvalue()
    assert "/api/v1/subjects/bulk/" in schema and "Idempotency-Key" in schema


def test_every_operation_documents_its_errors_and_has_a_description() -> None:
    document = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("description"), f"{method} {path} has no description"
            codes = set(operation["responses"])
            assert {"401", "403", "429"} <= codes, f"{method} {path}: {codes}"
            if method == "post":
                assert {"400", "409"} <= codes, f"{method} {path}: {codes}"


@pytest.fixture
def api_schema(seeded: None) -> Iterator[Any]:
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(document)))
    schema.app = WSGIHandler()
    # As Django's test client does: the handler's end of request must not close the test's
    # database connection (on PostgreSQL it would, mid-transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schema
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_the_api_answers_generated_requests_as_its_schema_says(
    api_schema: Any, admin_user: User
) -> None:
    """Valid and invalid requests (positive and negative generation) for each operation."""
    headers = {"Authorization": f"Bearer {make_key(admin_user, Scope.values)[1]}"}
    failures: dict[str, str] = {}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:
        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
            GenerationMode.NEGATIVE
        )

        @given(case=strategy)
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def answers_as_documented(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            answers_as_documented()
        except BaseExceptionGroup as failure:  # every operation is tried; the report names each
            failures[operation.label] = str(failure)[:2000]
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
