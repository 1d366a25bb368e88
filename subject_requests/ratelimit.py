"""A fixed-window counter in the Django cache (Redis in production), shared by all workers."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from core.crypto import blind_index


def _limits() -> dict[str, tuple[int, int]]:
    # (attempts, window in seconds); override with REQUESTS_PUBLIC_RATE_LIMITS in settings.
    defaults = {"ip": (10, 3600), "email": (3, 24 * 3600)}
    return {**defaults, **getattr(settings, "REQUESTS_PUBLIC_RATE_LIMITS", {})}


def _hit(key: str, limit: int, window: int) -> bool:
    """Count one attempt; False when the window's limit is already used up."""
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        count = 1
    return count <= limit


def allow_public_request(*, ip: str, email: str) -> bool:
    limits = _limits()
    ip_ok = _hit(f"dsr:rate:ip:{ip}", *limits["ip"])
    # The e-mail is keyed by its blind index: the cache never holds the address.
    email_ok = _hit(f"dsr:rate:email:{blind_index(email)}", *limits["email"])
    return ip_ok and email_ok


def allow_answer_link(*, request_id: int) -> bool:
    """New download links for one request: a few a day, so a stolen old link cannot be used
    to flood the requester's inbox."""
    return _hit(f"dsr:rate:answer-link:{request_id}", 3, 24 * 3600)
