"""The API frame: keys, scopes, expiry and revocation, the error shape, throttling."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from core.api.models import ApiKey, Scope
from core.api.services import revoke_api_key
from core.models import AuditEvent
from tests.api_helpers import KeyClient, make_key
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

PURPOSES = "/api/v1/register/purposes/"


def error_of(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    error: dict[str, Any] = body["error"]
    return error


def test_a_key_with_the_scope_reads_the_register(
    client: Client, admin_user: User, seeded: None
) -> None:
    key, secret = make_key(admin_user, [Scope.REGISTER_READ])
    response = KeyClient(client, secret).get(PURPOSES)
    assert response.status_code == 200
    assert {"code", "legal_basis"} <= set(response.json()["results"][0])
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_the_key_is_stored_only_as_a_digest(admin_user: User) -> None:
    key, secret = make_key(admin_user)
    stored = ApiKey.objects.get(pk=key.pk)
    assert secret not in {stored.digest, stored.prefix, stored.name}
    assert secret.startswith(f"po_{stored.prefix}_")
    event = AuditEvent.objects.get(action="api_key.created")
    assert secret not in str(event.details)


def test_a_key_without_the_scope_gets_403(client: Client, admin_user: User) -> None:
    _, secret = make_key(admin_user, [Scope.SUBJECTS_READ])
    response = KeyClient(client, secret).get(PURPOSES)
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


@pytest.mark.parametrize("why", ["revoked", "expired", "unknown", "malformed"])
def test_revoked_expired_and_unknown_keys_get_401(
    client: Client, admin_user: User, why: str
) -> None:
    key, secret = make_key(admin_user, days=1)
    if why == "revoked":
        revoke_api_key(key=key, actor=admin_user)
    elif why == "unknown":
        secret = secret[:-4] + "AAAA"
    elif why == "malformed":
        secret = "not-a-key"
    with time_machine.travel(timezone.now() + dt.timedelta(days=2 if why == "expired" else 0)):
        response = KeyClient(client, secret).get(PURPOSES)
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_no_credentials_get_401_in_the_error_shape(client: Client) -> None:
    response = client.get(PURPOSES)
    assert response.status_code == 401
    error_of(response)


def test_unknown_urls_and_methods_answer_in_the_error_shape(
    client: Client, admin_user: User
) -> None:
    _, secret = make_key(admin_user)
    api = KeyClient(client, secret)
    assert error_of(api.get("/api/v1/no-such-thing/"))["code"] == "not_found"
    response = api.post(PURPOSES, {})
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_a_session_user_reads_by_role(client_for: ClientFor, dpo: User, staff: User) -> None:
    assert client_for(dpo).get(PURPOSES).status_code == 200
    response = client_for(staff).get(PURPOSES)
    assert response.status_code == 403
    error_of(response)


def test_calls_beyond_the_rate_of_a_key_are_throttled(client: Client, admin_user: User) -> None:
    from rest_framework.throttling import SimpleRateThrottle

    _, secret = make_key(admin_user, [Scope.REGISTER_READ])
    _, other = make_key(admin_user, [Scope.REGISTER_READ])
    rates: dict[str, str | None] = {"api": "3/min"}
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        api = KeyClient(client, secret)
        answers = [api.get(PURPOSES).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        throttled = api.get(PURPOSES)
        assert error_of(throttled)["code"] == "throttled"
        assert "Retry-After" in throttled.headers
        assert KeyClient(client, other).get(PURPOSES).status_code == 200
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original


@pytest.mark.parametrize("value", ["mark\x00eting", "x" * 5000])
def test_a_query_parameter_with_nul_or_absurd_length_is_refused_by_name(
    client: Client, admin_user: User, seeded: None, value: str
) -> None:
    """PostgreSQL refuses a NUL in a string: the API answers 400 naming the parameter instead
    of the 500 a lookup with it would become (found by the GET fuzz on PostgreSQL)."""
    _, secret = make_key(admin_user, [Scope.CONSENT_READ])
    response = KeyClient(client, secret).get("/api/v1/marketing/audience/", {"purpose": value})
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"purpose"}


@pytest.fixture
def register(client: Client, admin_user: User, seeded: None) -> KeyClient:
    return KeyClient(client, make_key(admin_user, [Scope.REGISTER_READ, Scope.SUBJECTS_READ])[1])


@pytest.mark.parametrize(
    "query",
    [
        {"page_size": ["1", "2"]},  # given twice: no parameter of the API is a list
        {"active": ["true", "false"]},
        {"page_size": "null"},
        {"page_size": ""},
        {"page_size": "0"},  # the schema's minimum is 1 ...
        {"page_size": "1001"},  # ... and its maximum 1 000
        {"page_size": "2.5"},
        {"active": "null"},  # a boolean is true or false, nothing django-filter reads as "any"
        {"active": "yes"},
        {"active": ""},
        {"legal_basis": ""},  # an enum
    ],
)
def test_a_query_parameter_the_schema_refuses_is_refused_by_name(
    register: KeyClient, query: dict[str, Any]
) -> None:
    """django-filter and DRF's pagination read what they cannot use as no value at all (and a
    repeated parameter as its last value): the list came back whole."""
    response = register.get(PURPOSES, query)
    assert response.status_code == 400, response.json()
    error = error_of(response)
    assert error["code"] == "invalid" and set(error["fields"]) == set(query)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/subjects/", {"organisation": ""}),
        ("/api/v1/subjects/", {"updated_since": ""}),
        ("/api/v1/subjects/", {"updated_since": "2026-01-01"}),  # a day is not a moment
        ("/api/v1/subjects/", {"kind": ""}),
        ("/api/v1/retention/purge-runs/", {"dry_run": "1"}),
    ],
)
def test_a_filter_value_the_schema_refuses_is_refused_on_every_list(
    register: KeyClient, path: str, query: dict[str, str]
) -> None:
    response = register.get(path, query)
    assert response.status_code == 400 and set(error_of(response)["fields"]) == set(query)


def test_what_the_schema_takes_is_taken(register: KeyClient) -> None:
    page = register.get(PURPOSES, {"page_size": "1000", "active": "true"})
    assert page.status_code == 200 and page.json()["results"]
    first = register.get(PURPOSES, {"page_size": "1"})
    assert len(first.json()["results"]) == 1 and first.json()["next"]


def test_a_cursor_no_page_gave_is_refused_by_its_documented_rule(register: KeyClient) -> None:
    response = register.get(PURPOSES, {"cursor": "bz1hYmM="})  # base64 of "o=abc"
    assert response.status_code == 400
    assert error_of(response) | {"message": ""} == {
        "code": "refused", "message": "", "fields": {"cursor": ["Not a cursor this API gave."]}
    }  # fmt: skip
