"""The client's address: the one source for the audit log, the login lockout and the public
rate limits.

Behind `TRUSTED_PROXY_COUNT` proxies every request arrives from the innermost proxy's
address, and each proxy appends the address it received the request from to
`X-Forwarded-For`. The client's address is therefore the N-th entry from the right: the one
the outermost trusted proxy wrote. Entries to its left came with the request and are
whatever the client chose to send (a spoofed first hop), so they are never read. With no
trusted proxy (a laptop, a test) the address is the socket's.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    remote = _valid(str(request.META.get("REMOTE_ADDR") or ""))
    proxies = int(settings.TRUSTED_PROXY_COUNT)
    if not proxies:
        return remote
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        # Not through the proxy at all (a health check from inside the network).
        return remote
    # Fewer entries than proxies: the request entered behind the outermost one, and the
    # leftmost entry is the farthest address a trusted proxy saw.
    return _valid(hops[-min(proxies, len(hops))]) or remote


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
