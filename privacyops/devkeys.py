"""Development keys, generated once into a git-ignored `.env`.

Every generated value starts with `dev-` so that production settings can recognise and
refuse it (`DEBUG=false` with a development key is a start-up error).
"""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

DEV_PREFIX = "dev-"


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def ensure_dev_env(env_file: Path) -> None:
    """Write `.env` with fresh development keys unless it exists already."""
    if env_file.exists():
        return
    lines = [
        "# Development keys, generated once on this machine. Never use them in production:",
        "# with DEBUG=false the portal refuses every value that starts with 'dev-'.",
        f"SECRET_KEY={DEV_PREFIX}{secrets.token_urlsafe(48)}",
        f"FIELD_ENCRYPTION_KEYS={DEV_PREFIX}{_fernet_key()}",
        f"BLIND_INDEX_KEY={DEV_PREFIX}{secrets.token_urlsafe(32)}",
        f"DEMO_PASSWORD={secrets.token_urlsafe(9)}",
        "",
    ]
    try:
        env_file.write_text("\n".join(lines), encoding="utf-8")
        env_file.chmod(0o600)
    except OSError:  # a read-only checkout: settings then fail with a clear message
        pass
