"""The types of conftest's fixtures that are callables, for test signatures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.test import Client
    from playwright.sync_api import Page


class ClientFor(Protocol):
    """`client_for(user)`: the test client, logged in as that user."""

    def __call__(self, user: User) -> Client: ...


class LoginInBrowser(Protocol):
    """`login_in_browser(user)`: the browser page, logged in through the login form."""

    def __call__(self, user: User, password: str = ...) -> Page: ...
