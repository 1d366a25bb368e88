from __future__ import annotations

import base64
import secrets
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print a new key for FIELD_ENCRYPTION_KEYS (32 random bytes, url-safe base64)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
