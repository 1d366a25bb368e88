from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from core.home import portal_alarms
from core.navigation import NAVIGATION
from core.permissions import has_permission, user_roles


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    nav = []
    if user is not None and user.is_authenticated:
        for item in NAVIGATION:
            if not has_permission(user, item.permission):
                continue
            if item.unless and has_permission(user, item.unless):
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:  # an app's page not wired yet: leave it out of the bar
                continue
            nav.append({"label": item.label, "url": url, "active": request.path == url})
    return {
        "nav_items": nav,
        "user_roles": sorted(r.label for r in user_roles(user)) if user is not None else [],
        "privacy_contact_email": settings.PRIVACY_CONTACT_EMAIL,
        # The footer's way to the API's documentation, for whoever may read it.
        "api_docs_url": _api_docs_url(user),
        "portal_alarms": portal_alarms(request)
        if user is not None and user.is_authenticated
        else [],
    }


def _api_docs_url(user: Any) -> str:
    if user is None or not user.is_authenticated or not has_permission(user, "api.docs"):
        return ""
    try:
        return reverse("api_docs")
    except NoReverseMatch:  # a URL conf without the API (some tests)
        return ""
