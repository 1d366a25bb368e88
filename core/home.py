"""Panels on the home page. Each app may add a panel provider here; a provider returns
`None` when the user's roles do not cover it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

PanelProvider = Callable[[HttpRequest], dict[str, Any] | None]
PANEL_PROVIDERS: list[str] = []  # dotted paths, e.g. "retention.home.purge_panel"


def home_panels(request: HttpRequest) -> list[dict[str, Any]]:
    from django.utils.module_loading import import_string

    panels = []
    for path in PANEL_PROVIDERS:
        provider: PanelProvider = import_string(path)
        panel = provider(request)
        if panel is not None:
            panels.append(panel)
    return panels
