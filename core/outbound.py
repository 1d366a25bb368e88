"""Where the portal may send a call: the one rule for every call to an address someone typed.

The portal calls outside systems (a system's webhook) from inside its own network. An address
that leads back inside — the portal's host, its database and Redis, a company host on a
private network, a cloud's metadata service (169.254.169.254, Alibaba's 100.100.100.200,
AWS's fd00:ec2::254), which hands out the host's credentials — would let whoever edits the
register make the portal reach what no outside system may. So `may_call` admits only an
address that is globally reachable (`ipaddress`' `is_global`: not private, not the shared
100.64.0.0/10, not unique-local fc00::/7, loopback, link-local, unspecified or documentation),
nor multicast, reserved or site-local; an IPv4 address carried in IPv6 (::ffff:10.0.0.1,
6to4, NAT64's 64:ff9b::/96) is judged as the IPv4 address it reaches. An on-premise system on
a private network is called only if the operator lists its network in
`OUTBOUND_ALLOWED_NETWORKS` (empty by default). `WEBHOOK_ALLOW_LOCAL_HTTP` (development and the
test suite only) admits loopback, so a local test server can play an outside system.

A host is read as the connection reads it, by `socket.getaddrinfo`, which takes 2130706433,
0x7f000001, 127.1 and 0 for IPv4 addresses (inet_aton's forms): a parser of our own would see
names there and let 127.0.0.1 through. The register reads a typed address that way without a
DNS lookup (`typed_address_refusal`: the register's pages list every system's problems, and a
name's answer may change anyway). Each call resolves the name itself, refuses if any address
it resolves to is refused, and connects to the address it checked — the URL's host replaced by
that address, the name kept in the Host header and as the TLS server name, so the certificate
is verified against the name — so DNS cannot answer differently between the check and the
connection (rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain"})
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052's well-known prefix


class RefusedAddress(Exception):
    """The call is not made; the message names the host, never the payload."""


def reached_address(address: Address) -> Address:
    """The IPv4 address an IPv6 address carries and leads to, else the address itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
    return address


def may_call(address: Address) -> bool:
    """Whether the portal may connect to `address` (see the module's docstring)."""
    reached = reached_address(address)
    if any(
        address in network or reached in network for network in settings.OUTBOUND_ALLOWED_NETWORKS
    ):
        return True
    if settings.WEBHOOK_ALLOW_LOCAL_HTTP and reached.is_loopback:
        return True
    site_local = isinstance(reached, ipaddress.IPv6Address) and reached.is_site_local
    return reached.is_global and not (reached.is_multicast or reached.is_reserved or site_local)


def addresses_of(host: str, port: int, *, numeric: bool = False) -> list[Address]:
    """The addresses a connection to `host` goes to, as `getaddrinfo` reads them; with
    `numeric`, only an address typed as one (in any form) is read and a name gives []."""
    flags = socket.AI_NUMERICHOST if numeric else 0
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=flags)
    except socket.gaierror as exc:
        if numeric and exc.errno == socket.EAI_NONAME:
            return []
        raise
    # A scope ("fe80::1%eth0") names an interface, not another address.
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]


def is_local_name(host: str) -> bool:
    host = host.strip("[]").rstrip(".").lower()
    return host in LOCAL_NAMES or host.endswith(".localhost")


def typed_addresses(host: str) -> list[Address]:
    """The addresses `host` is when typed as an address, in any form getaddrinfo reads (a
    local name is the loopback); [] for a name, which is left to the call's own check."""
    host = host.strip("[]")
    if is_local_name(host):
        return [ipaddress.IPv4Address("127.0.0.1")]
    try:
        return addresses_of(host, 0, numeric=True)
    except (socket.gaierror, UnicodeError, ValueError):
        return []


def typed_address_refusal(host: str) -> Address | None:
    """The first address `host` is, typed, that may not be called; None if there is none."""
    return next((address for address in typed_addresses(host) if not may_call(address)), None)


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
        addresses = addresses_of(host, port)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedAddress(f"{host} does not resolve ({exc.__class__.__name__}).") from None
    if not addresses:
        raise RefusedAddress(f"{host} does not resolve.")
    if refused := [a for a in addresses if not may_call(a)]:
        raise RefusedAddress(
            f"{host} resolves to {refused[0]}, not a public address "
            "(nor in OUTBOUND_ALLOWED_NETWORKS)."
        )
    address = addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host_header = parts.netloc.rpartition("@")[2]
    return Target(
        url=urlunsplit(parts._replace(netloc=netloc)),
        host_header=host_header,
        server_name=host if parts.scheme == "https" else None,
    )
