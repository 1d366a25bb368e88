"""The API's schema: valid by drf-spectacular's own validation, saying what each operation
needs (`x-scope`) and takes; and the API keeps it under schemathesis with every check
(`schemathesis.checks.CHECKS`, what `st run --checks all` runs): the schema's examples, the
coverage phase's boundary and malformed values (a parameter given twice or null, a number
where a string belongs) and fuzzed requests, valid and not, for every operation, through the
WSGI app with keys of each scope. No 5xx; every answer has a documented status, content type
and body; the API takes what the schema takes and refuses what it refuses.

A rule the schema cannot state (a day not in the future, a person under 18, a state of what
is stored) is listed under the field's `x-rules`: a valid request refused by one is 400 with
the code `refused` naming fields that list a rule, and only that is not a failure."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup

from core.api.auth import KeyThrottle
from core.api.fields import lenient_fields
from core.api.inputs import ApiInput
from core.api.models import Scope
from tests.api_helpers import make_key

pytestmark = pytest.mark.django_db

DOCUMENT: dict[str, Any] = json.loads(
    OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True))
)
# The coverage phase also gives each query parameter twice (`?page_size=1&page_size=2`), and
# calls each path with methods it does not take: GET or POST (whichever it does not take; DRF
# dispatches every other the same way), DELETE, and OPTIONS for the `Allow` header.
SCHEMA = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=SchemathesisConfig.from_dict(
        {
            "phases": {
                "coverage": {
                    "generate-duplicate-query-parameters": True,
                    "unexpected-methods": ["get", "post", "delete", "options"],
                }
            }
        }
    ),
)
SCHEMA.app = WSGIHandler()
load_all_checks()
CHECKS_ALL = CHECKS.get_all()
# `ignored_auth` sends each 2xx request again without a key and with a wrong one: once an
# operation has passed, it is not repeated (as `st run` does; a third of the run otherwise).
CHECKS_BUT_AUTH = [check for check in CHECKS_ALL if check.__name__ != "ignored_auth"]
# Fuzzed requests per operation, on top of its examples and the coverage phase's 15-150
# (deterministic): the whole run makes ~2 500 calls.
MAX_EXAMPLES = 3
REJECTED_POSITIVE_DATA = "ST202"


def test_every_check_schemathesis_has_runs() -> None:
    names = {check.__name__ for check in CHECKS_ALL}
    assert {"positive_data_acceptance", "negative_data_rejection", "ignored_auth"} <= names
    assert len(CHECKS_ALL) >= 14


def test_the_schema_passes_drf_spectaculars_validation_without_a_warning() -> None:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = out.getvalue()
    assert "/api/v1/subjects/bulk/" in schema and "Idempotency-Key" in schema


def test_every_operation_documents_its_errors_its_scope_and_has_a_description() -> None:
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            assert operation.get("description"), f"{method} {path} has no description"
            assert operation.get("x-scope") in Scope.values, f"{method} {path}"
            codes = set(operation["responses"])
            assert {"401", "403", "429"} <= codes, f"{method} {path}: {codes}"
            if method == "post":
                assert {"400", "404", "409"} <= codes, f"{method} {path}: {codes}"
            if "{" in path:
                assert "404" in codes, f"{method} {path}: {codes}"


def test_the_docs_page_names_the_scope_of_every_operation() -> None:
    from core.api.docs import sections

    operations = [op for section in sections(DOCUMENT) for op in section.operations]
    assert len(operations) > 20
    assert all(op.scopes and set(op.scopes) <= set(Scope.values) for op in operations)


def _subclasses(cls: type) -> set[type]:
    return {cls, *(sub for direct in cls.__subclasses__() for sub in _subclasses(direct))}


def test_every_request_body_takes_strict_types_and_refuses_fields_it_does_not_name() -> None:
    """DRF's own fields coerce (`wording: 0` was stored as "0"): each field of a request is a
    strict one, and each body says `additionalProperties: false`."""
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                schema = _component(body["schema"])
                assert schema.get("additionalProperties") is False, f"{method} {path}"
    inputs = _subclasses(ApiInput)
    assert len(inputs) > 20
    for serializer in inputs:
        assert not lenient_fields(serializer().fields.values()), serializer.__name__


def _component(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema a `$ref` (or a single `allOf`) points to, with what stands beside it."""
    while True:
        if "$ref" in schema:
            target = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        elif len(schema.get("allOf", [])) == 1 and "properties" not in schema:
            schema = {**schema["allOf"][0], **{k: v for k, v in schema.items() if k != "allOf"}}
        else:
            return schema


def _rules(schema: dict[str, Any]) -> list[str]:
    """The rules a field lists, also inside the `oneOf` of a text that may be blank."""
    schema = _component(schema)
    branches = [_component(b) for key in ("oneOf", "anyOf") for b in schema.get(key, [])]
    return [*schema.get("x-rules", []), *(rule for b in branches for rule in b.get("x-rules", []))]


def _documented(fields: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Whether every field a refusal names lists a rule in this (object) schema; a bulk
    call names rows by index, each row a field of its one list."""
    schema = _component(schema)
    for name, messages in fields.items():
        if name == "non_field_errors":
            found = bool(_rules(schema))
        elif name.isdigit():
            rows = [p for p in schema.get("properties", {}).values() if "items" in p]
            items = schema.get("items") or (rows[0]["items"] if len(rows) == 1 else {})
            found = isinstance(messages, dict) and _documented(messages, items)
        else:
            given = _component(schema.get("properties", {}).get(name, {}))
            found = (
                bool(_rules(given)) if isinstance(messages, list) else _documented(messages, given)
            )
        if not found:
            return False
    return True


def refused_by_a_documented_rule(failure: Failure, case: Any, response: Any) -> bool:
    if failure.code != REJECTED_POSITIVE_DATA or response.status_code != 400:
        return False
    error = response.json()["error"]
    if error["code"] != "refused":
        return False
    operation = DOCUMENT["paths"][case.operation.path][case.operation.method.lower()]
    parameters = {p["name"]: p["schema"] for p in operation.get("parameters", [])}
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = _component(body.get("schema", {}))
    return _documented(
        error["fields"], {**schema, "properties": {**parameters, **schema.get("properties", {})}}
    )


def answers_as_documented(case: Any, key: str, checks: list[Any]) -> Any:
    """The call, validated by the checks; a documented rule's refusal is not a failure."""
    headers = {"Authorization": f"Bearer {key}"}
    response = case.call(headers=headers)
    try:
        case.validate_response(
            response, checks=checks, headers=headers, transport_kwargs={"headers": headers}
        )
    except FailureGroup as group:
        kept = [f for f in group.exceptions if not refused_by_a_documented_rule(f, case, response)]
        if kept:
            raise FailureGroup(kept, str(group)) from None
    return response


@dataclass
class ScopeKeys:
    """For one operation: a key with its scope alone, one with every scope, one with every
    scope but its own; and how many calls it had."""

    own: str
    every: str
    others: str
    calls: int = field(default=0)
    refused: bool = field(default=False)
    auth_enforced: bool = field(default=False)


@pytest.fixture
def keys(admin_user: User, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], ScopeKeys]:
    # Thousands of calls a minute with one key: the throttle (tested in test_api_frame) off.
    monkeypatch.setattr(KeyThrottle, "THROTTLE_RATES", {"api": None})
    made: dict[str, ScopeKeys] = {}

    def for_scope(scope: str) -> ScopeKeys:
        if scope not in made:
            made[scope] = ScopeKeys(
                own=make_key(admin_user, [scope])[1],
                every=make_key(admin_user, Scope.values)[1],
                others=make_key(admin_user, [s for s in Scope.values if s != scope])[1],
            )
        return made[scope]

    return for_scope


@pytest.fixture(autouse=True)
def _handler_keeps_the_connection() -> Iterator[None]:
    # As Django's test client does: the handler's end of request must not close the test's
    # database connection (on PostgreSQL it would, mid-transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@SCHEMA.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
)
def test_the_api_answers_generated_requests_as_its_schema_says(
    case: Any, seeded: None, keys: Callable[[str], ScopeKeys]
) -> None:
    """Every operation's requests, sent in turn with the key of its scope alone and with a
    key of every scope; the first with the operation's method also with a key of every other
    scope, which gets 403."""
    operation = DOCUMENT["paths"][case.operation.path][case.operation.method.lower()]
    scope_keys = keys(operation["x-scope"])
    scope_keys.calls += 1
    key = scope_keys.own if scope_keys.calls % 2 else scope_keys.every
    checks = CHECKS_BUT_AUTH if scope_keys.auth_enforced else CHECKS_ALL
    response = answers_as_documented(case, key, checks)
    scope_keys.auth_enforced |= 200 <= response.status_code < 300
    if not scope_keys.refused and case.method.upper() == case.operation.method.upper():
        scope_keys.refused = True
        assert answers_as_documented(case, scope_keys.others, checks).status_code == 403
