"""Where the portal keeps copies outside its database, read from the environment for the
settings. A copy in the database would share the database's fate (a restore rolls it back,
its owner can rewrite it); each of these lives on storage the operator chooses. Each
malformed value stops start-up with `ImproperlyConfigured` naming the variable."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


def erasure_ledger_dir(var_dir: Path) -> Path:
    """`ERASURE_LEDGER_DIR`: the folder of the erasure ledger's copy (`retention.ledger`)."""
    raw = os.environ.get("ERASURE_LEDGER_DIR", "").strip()
    if raw and not Path(raw).is_absolute():
        raise ImproperlyConfigured("ERASURE_LEDGER_DIR must be an absolute path.")
    directory = Path(raw) if raw else var_dir.resolve() / "erasure-ledger"
    if directory.exists() and not directory.is_dir():
        raise ImproperlyConfigured(f"ERASURE_LEDGER_DIR ({directory}) is not a directory.")
    return directory


def audit_head_export() -> Path | None:
    """`AUDIT_HEAD_EXPORT`, a `file://` URL of an absolute path: the file each day's head of
    the audit chain is appended to (`core.audit_heads`); None when it is not set.

    Only a file: an object store with object lock (WORM) is reached through a file the
    operator mounts or ships, because the portal holds no credentials of its own for it and
    must not (whoever holds the portal's credentials could then rewrite the store too)."""
    raw = os.environ.get("AUDIT_HEAD_EXPORT", "").strip()
    if not raw:
        return None
    url = urlsplit(raw)
    path = Path(unquote(url.path))
    if url.scheme != "file" or url.netloc not in {"", "localhost"} or not path.is_absolute():
        raise ImproperlyConfigured(
            "AUDIT_HEAD_EXPORT must be a file:// URL of an absolute path, such as "
            f"file:///var/lib/privacyops/audit-heads.jsonl, not {raw!r}."
        )
    if path.is_dir() or path.name == "":
        raise ImproperlyConfigured(f"AUDIT_HEAD_EXPORT ({path}) must name a file, not a folder.")
    return path
