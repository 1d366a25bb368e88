"""Panels on the home page. Each app may add a panel provider here; a provider returns
`None` when the user's roles do not cover it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

PanelProvider = Callable[[HttpRequest], dict[str, Any] | None]
PANEL_PROVIDERS: list[str] = [  # dotted paths, e.g. "retention.home.purge_panel"
    "consent.home.consent_panel",
    "subject_requests.home.requests_panel",
    "retention.alarms.purge_panel",
]

# Alarms shown in a red bar on every page: dotted paths of `(request) -> list[str]`, each
# returning the messages this user should see (e.g. "no purge has succeeded for 36 hours").
ALARM_PROVIDERS: list[str] = ["retention.alarms.purge_alarm"]


def home_panels(request: HttpRequest) -> list[dict[str, Any]]:
    from django.utils.module_loading import import_string

    panels = []
    for path in PANEL_PROVIDERS:
        provider: PanelProvider = import_string(path)
        panel = provider(request)
        if panel is not None:
            panels.append(panel)
    return panels


def portal_alarms(request: HttpRequest) -> list[str]:
    from django.utils.module_loading import import_string

    alarms: list[str] = []
    for path in ALARM_PROVIDERS:
        alarms.extend(import_string(path)(request))
    return alarms
