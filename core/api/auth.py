"""Who is calling: an integration with a key (`Authorization: Bearer po_…`), or a signed-in
user's browser (the session, with Django's CSRF check). What they may do: a key its scopes,
a user their roles in the permission matrix (`core.permissions`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request

from core.api.models import ApiKey, key_digest
from core.audit import Actor
from core.permissions import has_permission

KEY_PREFIX = "po_"
# `last_used_at` is written at most this often per key, so a busy integration does not turn
# every call into an UPDATE of the same row.
LAST_USE_RESOLUTION = dt.timedelta(minutes=1)


class KeyPrincipal:
    """`request.user` for a call made with a key: authenticated, but no user of the portal."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    pk = None

    def __init__(self, key: ApiKey) -> None:
        self.key = key

    def __str__(self) -> str:
        return self.key.actor_label


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[KeyPrincipal, ApiKey] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace") != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Give one key after 'Bearer'.")
        secret = header[1].decode(errors="replace")
        if not secret.startswith(KEY_PREFIX):
            raise exceptions.AuthenticationFailed("This is not an API key of this portal.")
        now = timezone.now()
        key = ApiKey.objects.filter(digest=key_digest(secret)).first()
        # One answer for unknown, revoked and expired keys: the caller learns nothing more.
        if key is None or not key.is_usable(now):
            raise exceptions.AuthenticationFailed("The key is unknown, revoked or expired.")
        if key.last_used_at is None or key.last_used_at < now - LAST_USE_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USE_RESOLUTION)
            ).update(last_used_at=now)
        return KeyPrincipal(key), key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class SessionAuthentication(authentication.SessionAuthentication):
    """The browser's own calls; DRF enforces CSRF on them as Django does on forms."""

    def authenticate_header(self, request: Request) -> str:
        # A header makes DRF answer 401 (not 403) to a call without credentials.
        return 'Bearer realm="api"'


def api_key(request: Request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None


def api_actor(request: Request) -> Actor:
    """Who the services record as acting: the signed-in user, or the key's label."""
    key = api_key(request)
    if key is not None:
        return key.actor_label
    user: Actor = request.user
    return user


def principal_of(request: Request) -> str:
    key = api_key(request)
    return f"key:{key.pk}" if key is not None else f"user:{request.user.pk}"


class UserCheck(permissions.BasePermission):
    """What every API view, the schema included, asks of a signed-in user."""

    message = "You do not have permission for this."

    def user_may(self, request: Request, matrix_key: str) -> bool:
        """A signed-in user's call, as `PermissionMiddleware` judges a page: nothing before
        the second factor (the message says so), then the matrix. A key has no second
        factor; its scopes decide."""
        from core.services.two_factor import second_factor_missing

        if second_factor_missing(request._request):
            self.message = "Two-factor verification required."
            return False
        return has_permission(request.user, matrix_key)


class ScopePermission(UserCheck):
    """A view names, per HTTP method, the key scope and the matrix key a user needs:
    `scopes = {"GET": Scope.SUBJECTS_READ}`, `permissions_by_method = {"GET": "subjects.list"}`
    (the class's `permission`, which the matrix test and the middleware read, is the default).
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        method = request.method or "GET"
        if method == "OPTIONS":
            method = "GET"
        key = api_key(request)
        user = request.user
        if key is None and not getattr(user, "is_authenticated", False):
            raise exceptions.NotAuthenticated()
        if method not in view.allowed_methods:
            # The view answers 405 to whoever may use it at all.
            if key is not None:
                return True
            method = "GET"
        if key is not None:
            needed = getattr(view, "scopes", {}).get(method)
            if needed is None or needed not in key.scopes:
                self.message = f"This key lacks the scope {needed or 'for this method'}."
                return False
            return True
        matrix_key = getattr(view, "permissions_by_method", {}).get(method) or view.permission
        return self.user_may(request, matrix_key)


class KeyThrottle(throttling.SimpleRateThrottle):
    """Per key (or per signed-in user): one integration cannot starve the others."""

    scope = "api"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return f"api-throttle:{principal_of(request)}"


class SchemaPermission(UserCheck):
    """The schema and its docs: any valid key, or a signed-in user of the portal once past
    the second factor."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if api_key(request) is not None:
            return True
        if not getattr(request.user, "is_authenticated", False):
            raise exceptions.NotAuthenticated()
        return self.user_may(request, "api.docs")
