"""The client's address: the one source for the audit log, the login lockout and the public
rate limits.

The socket's peer (`REMOTE_ADDR`) is the only address nobody can forge. Behind the TLS proxy
every request arrives from the proxy, and each proxy appends the address it received the
request from to `X-Forwarded-For`; but anyone who reaches the application directly can send
that header too. So the header is read only when the peer is a proxy listed in
`TRUSTED_PROXIES`, and then from the right: each trusted proxy's entry leads to the next hop,
and the first entry that is not a trusted proxy is the client. Entries to its left came with
the request and are whatever the client chose to send (a spoofed first hop), so they are never
read. With no trusted proxy (the default, a laptop, a test) the address is the socket's.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # A dual-stack socket shows an IPv4 peer as ::ffff:a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)


def client_ip(request: HttpRequest) -> str | None:
    client = _address(str(request.META.get("REMOTE_ADDR") or ""))
    if client is None or not _trusted(client):
        return str(client) if client else None
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    for hop in reversed([hop for hop in forwarded.split(",") if hop.strip()]):
        address = _address(hop)
        if address is None:
            # A trusted proxy wrote no address ("unknown"): the nearest known hop is the last
            # one a trusted proxy vouched for.
            break
        client = address
        if not _trusted(address):
            break
    return str(client)


# The longest query-string value the admin accepts (its own list filters, searches and the
# filters it carries over to a change page stay far below).
ADMIN_QUERY_VALUE_MAX = 2000


def hostile_query(request: HttpRequest) -> bool:
    """A NUL or an over-long value in the query string. The portal's own pages read their
    filters through forms that refuse both; the Django admin turns every unknown parameter
    into a database lookup, where PostgreSQL fails on a NUL, so its views refuse them first."""
    return any(
        "\x00" in key or "\x00" in value or len(value) > ADMIN_QUERY_VALUE_MAX
        for key, values in request.GET.lists()
        for value in values
    )
