"""Limits on the public request form and on new download links (`core.ratelimit`)."""

from __future__ import annotations

from django.conf import settings

from core.ratelimit import Limit, allow_per_address_and_email, hit


def _limits() -> dict[str, Limit]:
    # (attempts, window in seconds); override with REQUESTS_PUBLIC_RATE_LIMITS in settings.
    defaults = {"ip": (10, 3600), "email": (3, 24 * 3600)}
    return {**defaults, **getattr(settings, "REQUESTS_PUBLIC_RATE_LIMITS", {})}


def allow_public_request(*, ip: str | None, email: str) -> bool:
    return allow_per_address_and_email(scope="dsr", ip=ip, email=email, limits=_limits())


def allow_answer_link(*, request_id: int) -> bool:
    """New download links for one request: a few a day, so a stolen old link cannot be used
    to flood the requester's inbox."""
    return hit(f"dsr:rate:answer-link:{request_id}", 3, 24 * 3600)
