"""The types of conftest's fixtures that are callables, for test signatures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.test import Client
    from playwright.sync_api import Page

    from subjects.models import DataSubject


class ClientFor(Protocol):
    """`client_for(user)`: the test client, logged in as that user."""

    def __call__(self, user: User) -> Client: ...


class LoginInBrowser(Protocol):
    """`login_in_browser(user)`: the browser page, logged in through the login form."""

    def __call__(self, user: User, password: str = ...) -> Page: ...


class SignInAsSubject(Protocol):
    """`sign_in_as_subject(person)`: the test client, signed in to the person's self-service
    pages through the e-mailed link (a subject session, not a staff login)."""

    def __call__(self, subject: DataSubject) -> Client: ...
