"""The second factor is one rule for every URL: a session that has given its password but
not yet its second factor reaches nothing but the second-factor step and the public pages —
no page, no API endpoint, no schema, no admin page answers it with content."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from core.permissions import MATRIX, declared_permission
from tests.conftest import persona_authenticator

pytestmark = pytest.mark.django_db

# A value for each kind of path parameter: the refusal comes before any lookup by it.
SAMPLES = {"int": "1", "str": "x1", "slug": "x1", "path": "x1", "": "x1"}
ROUTE_PARAMETER = re.compile(r"<(?:(\w+):)?\w+>")
# A regular expression's named group: its first alternative, or a sample.
REGEX_GROUP = re.compile(r"\(\?P<\w+>([^)]*)\)")


def _sample(group: re.Match[str]) -> str:
    first = group.group(1).split("|")[0]
    return first if re.fullmatch(r"[\w-]+", first) else "x1"


def _concrete(route: str) -> str:
    path = ROUTE_PARAMETER.sub(lambda m: SAMPLES[m.group(1) or ""], route)
    path = REGEX_GROUP.sub(_sample, path)
    return "/" + path.replace("^", "").replace("$", "")


def urls(
    patterns: list[URLPattern | URLResolver], prefix: str = "", apps: tuple[str, ...] = ()
) -> Iterator[tuple[str, str | None]]:
    """Every URL pattern as a concrete path, with the matrix key its view declares."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            app = (pattern.app_name,) if pattern.app_name else ()
            yield from urls(pattern.url_patterns, prefix + str(pattern.pattern), apps + app)
        else:
            route = prefix + str(pattern.pattern)
            yield _concrete(route), declared_permission(pattern.callback, apps)


def _half_signed_in(user: User, *, enrolled: bool) -> Client:
    if enrolled:
        persona_authenticator(user)
    client = Client()
    login = client.post("/login/", {"username": user.username, "password": "correct horse battery"})
    assert login.status_code == 302, "the password is accepted"
    return client


@pytest.mark.parametrize(
    ("persona", "enrolled", "methods"),
    [("dpo", True, ("get", "post")), ("admin_user", False, ("get",)), ("staff", True, ("get",))],
    ids=["dpo-with-authenticator", "admin-not-enrolled", "staff-who-enrolled"],
)
def test_before_the_second_factor_no_url_answers_with_content(
    persona: str, enrolled: bool, methods: tuple[str, ...], request: pytest.FixtureRequest
) -> None:
    client = _half_signed_in(request.getfixturevalue(persona), enrolled=enrolled)
    walked, answered = 0, []
    for path, key in urls(get_resolver().url_patterns):
        if key is not None and (MATRIX[key].public or key == "account.2fa"):
            continue
        resolve(path)  # a sample that does not resolve would test nothing
        walked += 1
        for method in methods:
            response = getattr(client, method)(path)
            location = response.get("Location", "")
            refused = response.status_code in (401, 403) or (
                response.status_code == 302 and location.startswith("/account/2fa/")
            )
            if not refused:
                answered.append(f"{method.upper()} {path}: {response.status_code}")
    assert walked > 400
    assert answered == []
