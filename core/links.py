"""Links the portal e-mails to people: absolute, and carrying the reader's language, so the
page a link opens speaks the language of the e-mail it came in, whatever the browser's
settings say (`LinkLanguageMiddleware` reads it, and keeps it in the language cookie for the
pages that follow)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

LANGUAGE_PARAM = "lang"
LANGUAGE_COOKIE_DAYS = 365


def public_languages() -> frozenset[str]:
    return frozenset(code for code, _name in settings.LANGUAGES)


def public_link(path: str, *, language: str | None = None) -> str:
    """`SITE_URL` + `path`, with `?lang=` when a language of the portal is given."""
    url = f"{settings.SITE_URL}{path}"
    if language in public_languages():
        url += ("&" if "?" in path else "?") + urlencode({LANGUAGE_PARAM: language})
    return url


class LinkLanguageMiddleware:
    """After `LocaleMiddleware`: a link's `lang` names the language of the page it opens and
    of those that follow (the language cookie). Staff pages stay in English
    (`PermissionMiddleware`); an unknown value is ignored."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.GET.get(LANGUAGE_PARAM, "")
        if language not in public_languages():
            response: HttpResponse = self.get_response(request)
            return response
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=LANGUAGE_COOKIE_DAYS * 24 * 3600,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response
