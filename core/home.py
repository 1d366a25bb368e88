"""Panels on the home page and alarms on every page, contributed by the apps.

Each app registers its providers from its `AppConfig.ready()`, so `core` imports no domain
app. A panel provider returns `None` when the user's roles do not cover it; an alarm provider
returns the messages this user should see in the red bar (e.g. "no purge has succeeded for 36
hours").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

PanelProvider = Callable[[HttpRequest], dict[str, Any] | None]
# A role's own home page (the DPO's dashboard): a response, or None for everyone else.
HomePage = Callable[[HttpRequest], HttpResponse | None]
AlarmProvider = Callable[[HttpRequest], list[str]]

# (position, provider): lower positions come first.
_panels: list[tuple[int, PanelProvider]] = []
_alarms: list[AlarmProvider] = []
_home_pages: list[HomePage] = []


def register_home_page(page: HomePage) -> None:
    if page not in _home_pages:
        _home_pages.append(page)


def role_home_page(request: HttpRequest) -> HttpResponse | None:
    """The first registered home page that answers for this user."""
    for page in _home_pages:
        response = page(request)
        if response is not None:
            return response
    return None


def register_panel(provider: PanelProvider, *, position: int) -> None:
    if all(existing is not provider for _, existing in _panels):
        _panels.append((position, provider))
        _panels.sort(key=lambda entry: entry[0])


def register_alarm(provider: AlarmProvider) -> None:
    if provider not in _alarms:
        _alarms.append(provider)


def home_panels(
    request: HttpRequest, *, leave_out: tuple[PanelProvider, ...] = ()
) -> list[dict[str, Any]]:
    panels = []
    for _, provider in _panels:
        if provider in leave_out:
            continue
        panel = provider(request)
        if panel is not None:
            panels.append(panel)
    return panels


def portal_alarms(request: HttpRequest) -> list[str]:
    return [message for provider in _alarms for message in provider(request)]
