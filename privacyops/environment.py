"""Reading the environment for the settings: each malformed value stops start-up with
`ImproperlyConfigured` naming the variable, never later."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

from privacyops.devkeys import DEV_PREFIX


def read_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def read_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}.")
    return value


def read_networks(name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated addresses or networks (CIDR: 10.20.0.0/16, fd12::/48); none by default."""
    networks = []
    for part in (p.strip() for p in os.environ.get(name, "").split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {part!r} is not an address or a network such as 10.20.0.0/16 "
                "(no host bits set)."
            ) from None
    return tuple(networks)


def read_secret(name: str, *, debug: bool) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} is not set.")
    if value.startswith(DEV_PREFIX):
        if not debug:
            raise ImproperlyConfigured(
                f"{name} holds a development key; set a production value when DEBUG=false."
            )
        value = value[len(DEV_PREFIX) :]
    return value


def read_fernet_keys(raw: str, *, debug: bool) -> list[str]:
    keys = []
    for position, part in enumerate(p.strip() for p in raw.split(",")):
        if part.startswith(DEV_PREFIX):
            if not debug:
                raise ImproperlyConfigured(
                    "FIELD_ENCRYPTION_KEYS holds a development key; "
                    "set production keys when DEBUG=false."
                )
            part = part[len(DEV_PREFIX) :]
        try:
            if len(base64.urlsafe_b64decode(part.encode())) != 32:
                raise ValueError
        except (ValueError, binascii.Error):
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key {position + 1} is not a url-safe base64 "
                "32-byte key (make one with `python manage.py generate_key`)."
            ) from None
        keys.append(part)
    return keys


def redis_url_of_test_worker(url: str, worker: str) -> str:
    """The Redis database of one pytest-xdist worker (`gw0`, `gw1`, …): database N + 1 of the
    same server for worker N. The suite empties the cache before every test (a FLUSHDB), so
    workers sharing one database would empty each other's mid-test."""
    if not worker:
        return url
    if not worker.startswith("gw") or not worker[2:].isdigit():
        raise ImproperlyConfigured(f"PYTEST_XDIST_WORKER must look like gw0, not {worker!r}.")
    database = int(worker[2:]) + 1
    if database > 15:
        raise ImproperlyConfigured("Redis has 16 databases: run the suite on at most 15 workers.")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))
