"""Where the portal may send a call: the address checks of outgoing webhooks.

An outside system's address must not lead back into the portal's own host or to a link-local
address (a cloud's metadata service at 169.254.169.254 hands out the host's credentials):
such a webhook would make the portal call itself, or leak. The Systems register refuses those
addresses as typed (`processing.rules`); a host *name* can still resolve to one, today or after
its DNS changes. So each call resolves the name itself, refuses if any address it resolves to
is refused, and connects to the address it checked — the URL's host replaced by that address,
the name kept in the Host header and as the TLS server name, so the certificate is verified
against the name — and DNS cannot answer differently between the check and the connection.

`WEBHOOK_ALLOW_LOCAL_HTTP` (on only for development and the test suite) allows the portal's own
host, so a local test server can play an outside system.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain"})


class RefusedAddress(Exception):
    """The call is not made; the message names the host, never the payload."""


def is_refused(address: Address) -> bool:
    """Loopback, link-local, unspecified, multicast or reserved — also as an IPv4 address
    mapped into IPv6 (::ffff:127.0.0.1)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
    )


def is_local_host(host: str) -> bool:
    """Whether a host as typed names the portal's own host or a refused address."""
    host = host.strip("[]").lower()
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        return is_refused(ipaddress.ip_address(host))
    except ValueError:
        return False


@dataclass(frozen=True)
class Target:
    url: str  # the URL with its host replaced by the checked address
    host_header: str
    server_name: str | None  # the TLS server name (https only), checked against the certificate


def pinned_target(url: str) -> Target:
    """The address to connect to for `url`, checked; `RefusedAddress` otherwise."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise RefusedAddress("The address names no host.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedAddress(f"{host} does not resolve ({exc.__class__.__name__}).") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    if not addresses:
        raise RefusedAddress(f"{host} does not resolve.")
    if not settings.WEBHOOK_ALLOW_LOCAL_HTTP and any(is_refused(a) for a in addresses):
        raise RefusedAddress(f"{host} resolves to the portal's own host or a link-local address.")
    address = addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host_header = parts.netloc.rpartition("@")[2]
    return Target(
        url=urlunsplit(parts._replace(netloc=netloc)),
        host_header=host_header,
        server_name=host if parts.scheme == "https" else None,
    )
