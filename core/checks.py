from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.urls import URLPattern, URLResolver, get_resolver

from core.fields import PersonalDataQuerySet, blind_index_fields
from core.permissions import MATRIX, declared_permission


def iter_patterns(patterns: list[Any], prefix: str = "", app_names: tuple[str, ...] = ()) -> Any:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names = app_names + ((pattern.app_name,) if pattern.app_name else ())
            yield from iter_patterns(pattern.url_patterns, prefix + str(pattern.pattern), names)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern, app_names


@checks.register(checks.Tags.security)
def every_view_declares_a_permission(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for route, pattern, app_names in iter_patterns(get_resolver().url_patterns):
        key = declared_permission(pattern.callback, app_names)
        if key is None or key not in MATRIX:
            errors.append(
                checks.Error(
                    f"URL {route!r} ({pattern.name}) declares no permission of the matrix.",
                    hint="Add @requires(key) or a `permission` attribute.",
                    id="privacyops.E001",
                )
            )
    return errors


@checks.register(checks.Tags.models)
def blind_indexes_are_kept_in_step(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for model in apps.get_models():
        if blind_index_fields(model):
            queryset = model._default_manager.get_queryset()
            if not isinstance(queryset, PersonalDataQuerySet):
                errors.append(
                    checks.Error(
                        f"{model._meta.label} has a blind index but its manager's queryset "
                        "is not a PersonalDataQuerySet, so update() would leave it stale.",
                        id="privacyops.E002",
                    )
                )
    return errors


@checks.register(checks.Tags.security, deploy=True)
def the_proxy_is_trusted(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and not settings.TRUSTED_PROXIES:
        return [
            checks.Warning(
                "The portal runs behind a TLS proxy (BEHIND_TLS_PROXY) but TRUSTED_PROXIES "
                "is empty: every client has the proxy's address in the audit log, the login "
                "lockout and the public rate limits.",
                hint="Set TRUSTED_PROXIES to the proxy's address as the portal's socket sees it.",
                id="privacyops.W001",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def the_audit_head_is_exported(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.AUDIT_HEAD_EXPORT is None:
        return [
            checks.Warning(
                "AUDIT_HEAD_EXPORT is not set: the audit chain's head is exported nowhere, so "
                "an event appended with the application's credentials, or a rewrite of the "
                "whole log by the tables' owner, passes verify_audit.",
                hint="Set AUDIT_HEAD_EXPORT to a file:// URL of a file the portal's user may "
                "only append to (docs/operations.md).",
                id="privacyops.W002",
            )
        ]
    return []


@checks.register()
def the_legal_holiday_country_is_known(
    app_configs: Any, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Regulation 1182/71's working days need the controller's public holidays: a code the
    `holidays` package has no calendar for would fail the first legal deadline computed."""
    from core.timeutil import holiday_country_known

    if holiday_country_known(settings.LEGAL_HOLIDAY_COUNTRY):
        return []
    return [
        checks.Error(
            "LEGAL_HOLIDAY_COUNTRY must be an ISO 3166 country code the holidays package knows "
            f"(EE for Estonia), not {settings.LEGAL_HOLIDAY_COUNTRY!r}.",
            id="privacyops.E003",
        )
    ]
