"""Keys and clients for the API tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from core.api.models import ApiKey, Scope
from core.api.services import create_api_key


def make_key(
    admin: User, scopes: Iterable[str] = tuple(Scope.values), *, days: int = 30
) -> tuple[ApiKey, str]:
    return create_api_key(
        name="platform",
        scopes=scopes,
        expires_at=timezone.now() + dt.timedelta(days=days),
        actor=admin,
    )


class KeyClient:
    """A Django test client that sends a key and JSON."""

    def __init__(self, client: Client, secret: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path: str, data: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(path, data or {}, headers={**self.headers, **headers})

    def post(self, path: str, body: Any, **headers: str) -> Any:
        return self.client.post(
            path, body, content_type="application/json", headers={**self.headers, **headers}
        )
