"""Every URL of the URLconf × every role and anonymous answers as the matrix says."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, get_resolver, include, path

from core.checks import iter_patterns
from core.permissions import MATRIX, Role, declared_permission, markdown_matrix

pytestmark = pytest.mark.django_db

SAMPLE_VALUES = {
    "int": "987654",
    "str": "sample",
    "slug": "sample",
    "uuid": str(uuid.uuid4()),
    "path": "sample",
}


def concrete_urls() -> list[tuple[str, str]]:
    """(url, matrix key) for every route; admin is represented by its index."""
    urls = []
    for route, pattern, app_names in iter_patterns(get_resolver().url_patterns):
        key = declared_permission(pattern.callback, app_names)
        assert key is not None and key in MATRIX, f"{route} ({pattern.name}) declares no permission"
        if "admin" in app_names:
            continue
        if route.startswith("^") or "(?P" in route:
            continue  # regex routes (none of ours)
        url = "/" + route
        for name, converter in pattern.pattern.converters.items():
            kind = {
                "IntConverter": "int",
                "UUIDConverter": "uuid",
                "SlugConverter": "slug",
                "PathConverter": "path",
            }.get(type(converter).__name__, "str")
            url = url.replace(f"<{kind}:{name}>", SAMPLE_VALUES[kind]).replace(
                f"<{name}>", SAMPLE_VALUES["str"]
            )
        urls.append((url, key))
    urls.append(("/admin/", "admin.site"))
    return urls


def test_every_url_declares_a_key_of_the_matrix() -> None:
    assert len(concrete_urls()) >= 5


@pytest.mark.parametrize("role", [*Role, None], ids=lambda r: r.value if r else "anonymous")
def test_every_url_answers_each_role_as_the_matrix_says(
    client: Client, role: Role | None, request: pytest.FixtureRequest
) -> None:
    if role is not None:
        from tests.conftest import _persona

        user = _persona(f"matrix-{role.value.lower()}", role.value)
        if role == Role.ADMIN:
            user.is_staff = True
            user.save()
        client.force_login(user)
    for url, key in concrete_urls():
        rule = MATRIX[key]
        response = client.get(url)
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        to_login = response.status_code == 302 and response["Location"].startswith("/login/")
        if rule.public or (role is not None and role in rule.roles):
            assert response.status_code != 403 and not to_login, f"{role}: {url} refused"
        elif role is None:
            assert to_login or response.status_code == 401, f"anonymous reached {url}"
        else:
            assert response.status_code == 403, f"{role} reached {url} ({response.status_code})"


def undeclared_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("secret")


urlpatterns = [path("undeclared/", undeclared_view), path("", include("core.urls"))]


@override_settings(ROOT_URLCONF=__name__)
def test_a_view_without_a_declaration_is_refused_and_fails_the_check(
    client: Client, dpo: User
) -> None:
    from core.checks import every_view_declares_a_permission

    client.force_login(dpo)
    response = client.get("/undeclared/")
    assert response.status_code == 403
    assert b"secret" not in response.content
    errors = every_view_declares_a_permission(None)
    assert [e.id for e in errors] == ["privacyops.E001"]
    assert isinstance(urlpatterns[0], URLPattern)


def test_the_admins_guide_carries_the_current_matrix() -> None:
    from pathlib import Path

    guide = (Path(__file__).resolve().parent.parent / "docs" / "admin-guide.md").read_text()
    assert markdown_matrix() in guide, (
        "run `manage.py permission_matrix` and paste it in docs/admin-guide.md"
    )


def test_staff_pages_stay_in_english_whatever_the_browser_asks(client: Client, dpo: User) -> None:
    client.force_login(dpo)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="lv")
    assert response.status_code == 200
    assert response.wsgi_request.LANGUAGE_CODE == "en"
    assert b'<html lang="en">' in response.content
