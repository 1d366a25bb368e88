"""Fixed-window counters in the Django cache (Redis in production), shared by all workers.

The public forms (a request about one's data, a newsletter subscription) are limited per
client address (`core.http.client_ip`) and, separately, per target e-mail address, so
neither many addresses nor many targets get around the limit. The e-mail is keyed by its
blind index: the cache never holds the address.
"""

from __future__ import annotations

from django.core.cache import cache

from core.crypto import blind_index

# (attempts, window in seconds)
Limit = tuple[int, int]


def hit(key: str, limit: int, window: int) -> bool:
    """Count one attempt; False when the window's limit is already used up."""
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        count = 1
    return count <= limit


def allow_per_address_and_email(
    *, scope: str, ip: str | None, email: str, limits: dict[str, Limit]
) -> bool:
    # Both counters count every attempt, so a refused attempt still uses up the window.
    ip_ok = hit(f"{scope}:rate:ip:{ip or 'unknown'}", *limits["ip"])
    email_ok = hit(f"{scope}:rate:email:{blind_index(email)}", *limits["email"])
    return ip_ok and email_ok
