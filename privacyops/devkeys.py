"""Development keys, generated once into a git-ignored `.env`, with `DEBUG=true`.

Every generated value starts with `dev-` so that production settings can recognise and
refuse it (`DEBUG=false` with a development key is a start-up error). `make install` runs
this module; the settings call it too under the test suite.
"""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

DEV_PREFIX = "dev-"
# Only a generated `.env` turns DEBUG on: the settings default to off.
DEBUG_ON = "DEBUG=true"


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def ensure_dev_env(env_file: Path) -> None:
    """Write `.env` with fresh development keys unless it exists already."""
    if env_file.exists():
        _turn_debug_on(env_file)
        return
    lines = [
        "# Development keys, generated once on this machine. Never use them in production:",
        "# with DEBUG=false the portal refuses every value that starts with 'dev-'.",
        DEBUG_ON,
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


def _turn_debug_on(env_file: Path) -> None:
    # A `.env` generated while DEBUG defaulted to on says nothing of it; one holding keys of
    # its own (no `dev-` value) is someone's deliberate configuration and stays as it is.
    try:
        lines = env_file.read_text(encoding="utf-8").splitlines()
    except OSError:
        return
    settings = [line.partition("=") for line in lines if not line.lstrip().startswith("#")]
    names = {name.strip() for name, _, _ in settings}
    generated = any(value.startswith(DEV_PREFIX) for _, _, value in settings)
    if generated and "DEBUG" not in names:
        try:
            with env_file.open("a", encoding="utf-8") as env:
                env.write(f"{DEBUG_ON}\n")
        except OSError:
            pass


if __name__ == "__main__":
    ensure_dev_env(Path(__file__).resolve().parent.parent / ".env")
