"""Logging in: the lockout's keys, the client's address, and the audit of every login,
failed login and lockout.

Nothing here may tell a known account from an unknown one to the person at the keyboard:
the login form answers both alike (Django's generic message, and a password hash computed
for an unknown name too), and the lockout counts typed names whether or not they exist. The
audit log, read by DPO, Admin and Auditor, names the account only when it exists, by id; it
never holds what was typed, since a password typed into the name field must not end up there.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from core.audit import record_event
from core.lockout import locks_held
from core.services.two_factor import remember_enrolment
from core.sessions import start_session_clock


def lockout_key(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """What django-axes counts failures under: a keyed hash of the typed name (case and
    spaces ignored, so variants count together), never the name itself."""
    typed = (credentials or {}).get("username")
    if typed is None and request is not None:
        typed = request.POST.get("username")
    normalised = str(typed or "").strip().casefold()
    return salted_hmac("privacyops.login.lockout", normalised).hexdigest()[:40]


def _existing_user(typed: Any) -> Any:
    if not typed:
        return None
    return get_user_model()._default_manager.filter(username=str(typed)).first()


@receiver(user_login_failed, dispatch_uid="privacyops.audit_login_failed")
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any
) -> None:
    user = _existing_user(credentials.get("username"))
    record_event(
        action="auth.login_failed",
        actor="anonymous",
        target=user,
        details={"account": "known" if user is not None else "unknown"},
    )


@receiver(user_locked_out, dispatch_uid="privacyops.audit_locked_out")
def audit_locked_out(sender: Any, request: Any = None, **kwargs: Any) -> None:
    """A login locked out, or refused by a lock already held; `lock` names the widest lock
    that holds (`core.lockout.Lock`)."""
    user = _existing_user(request.POST.get("username") if request is not None else None)
    held = (
        [] if request is None else locks_held(request, getattr(request, "axes_credentials", None))
    )
    record_event(
        action="auth.locked_out",
        actor="anonymous",
        target=user,
        details={
            "account": "known" if user is not None else "unknown",
            "lock": str(held[-1]) if held else "",
            "failures": getattr(request, "axes_failures_since_start", None),
            "cool_off_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
    )


@receiver(user_logged_in, dispatch_uid="privacyops.audit_logged_in")
def audit_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record_event(action="auth.logged_in", actor=user, target=user)
    if request is not None and hasattr(request, "session"):
        start_session_clock(request)
        remember_enrolment(request, user)
