"""The three locks on logging in (`privacyops/lockout.py` says why these three), the page a
locked-out login gets, and the alarm when a name is locked for every address.

django-axes counts failures under each of its lockout parameters but compares the largest
count with one limit; here each lock has its own limit. The handler answers axes' question
("how many failures?") in the first lock's unit: the name's failures at this address, or the
whole limit when the address or the name is over its own, higher limit.
"""

from __future__ import annotations

import datetime as dt
import logging
from enum import StrEnum
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_parameters
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.display import staff_datetime
from core.permissions import Role, user_roles

logger = logging.getLogger(__name__)


class Lock(StrEnum):
    """The locks, narrowest first; each is the `lock` of an `auth.locked_out` event."""

    NAME_AT_ADDRESS = "name at address"
    ADDRESS = "address"
    NAME = "name everywhere"


# The audit log's words for each lock (an `auth.locked_out` event's `lock`).
LOCK_WORDS = {
    Lock.NAME_AT_ADDRESS: "the name, from one address",
    Lock.ADDRESS: "the address, for every name",
    Lock.NAME: "the name, from every address",
}

# axes' lockout parameters of each lock (`AXES_LOCKOUT_PARAMETERS` lists them).
PARAMETERS = {
    frozenset({"username", "ip_address"}): Lock.NAME_AT_ADDRESS,
    frozenset({"ip_address"}): Lock.ADDRESS,
    frozenset({"username"}): Lock.NAME,
}

# The alarm stays a day after the latest lock of a name everywhere: long enough for an Admin
# to see it at their next visit, though the lock itself lifts after the cool-off.
ALARM_CACHE_KEY = "privacyops:login-name-locked-everywhere"
ALARM_SECONDS = 24 * 3600


def limit(lock: Lock) -> int:
    return {
        Lock.NAME_AT_ADDRESS: settings.AXES_FAILURE_LIMIT,
        Lock.ADDRESS: settings.LOGIN_ADDRESS_FAILURE_LIMIT,
        Lock.NAME: settings.LOGIN_ACCOUNT_FAILURE_LIMIT,
    }[lock]


def _lock_of(parameter: str | list[str]) -> Lock:
    return PARAMETERS[frozenset([parameter] if isinstance(parameter, str) else parameter)]


class LayeredLockoutHandler(AxesDatabaseHandler):
    def failures(self, request: Any, credentials: dict[str, Any] | None = None) -> dict[Lock, int]:
        """Each lock's failures within the cool-off, for this request's name and address."""
        parameters = get_lockout_parameters(request, credentials)
        attempts = self.get_user_attempts(request, credentials)
        return {
            _lock_of(parameter): rows.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for parameter, rows in zip(parameters, attempts, strict=True)
        }

    def locks(self, request: Any, credentials: dict[str, Any] | None = None) -> list[Lock]:
        """The locks that hold for this request, narrowest first."""
        failures = self.failures(request, credentials)
        return [lock for lock in Lock if failures.get(lock, 0) >= limit(lock)]

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        failures = self.failures(request, credentials)
        own = failures.get(Lock.NAME_AT_ADDRESS, 0)
        if any(count >= limit(lock) for lock, count in failures.items()):
            return max(own, settings.AXES_FAILURE_LIMIT)
        return own

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
    ) -> None:
        refused = bool(getattr(request, "axes_locked_out", False))  # by a lock already held
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or refused or not request.axes_locked_out:
            return
        if Lock.NAME in self.locks(request, credentials):
            _raise_alarm(credentials)


def locks_held(request: HttpRequest, credentials: dict[str, Any] | None) -> list[Lock]:
    handler = AxesProxyHandler.get_implementation()
    if not isinstance(handler, LayeredLockoutHandler):
        return []
    return handler.locks(request, credentials)


def _raise_alarm(credentials: dict[str, Any]) -> None:
    # The lock counts the typed name with case and spaces ignored (`core.login.lockout_key`).
    typed = str(credentials.get("username") or "").strip()
    user = get_user_model()._default_manager.filter(username__iexact=typed).first()
    cache.set(
        ALARM_CACHE_KEY,
        {"at": timezone.now().isoformat(), "username": user.get_username() if user else None},
        ALARM_SECONDS,
    )
    # For the operator's log monitoring too: the page alarm reaches only who opens a page.
    logger.error(
        "login locked for every address after %d failures from several addresses (%s account)",
        settings.LOGIN_ACCOUNT_FAILURE_LIMIT,
        "a known" if user else "no",
    )


def name_locked_everywhere_alarm(request: HttpRequest) -> list[str]:
    """The Admin, who runs the machines, and the DPO must know when someone tries passwords
    from many addresses: that lock shuts the account's owner out too, while it lasts.

    Read from the cache only (no query on every page): a cache emptied by hand loses the red
    bar, not the record, which is the audit log's `auth.locked_out` events and the error log."""
    if not {Role.DPO, Role.ADMIN} & user_roles(request.user):
        return []
    alarm = cache.get(ALARM_CACHE_KEY)
    if not alarm:
        return []
    at = staff_datetime(dt.datetime.fromisoformat(alarm["at"]))
    words = {
        "at": at,
        "n": settings.LOGIN_ACCOUNT_FAILURE_LIMIT,
        "minutes": _cool_off_minutes(),
    }
    if alarm["username"]:
        text = _(
            "Logging in as “%(username)s” was locked for every address at %(at)s, after "
            "%(n)d failed logins from several addresses within %(minutes)d minutes: someone may "
            "be guessing its password. The lock lifts by itself; the audit log has the "
            "lockouts."
        )
        return [text % {**words, "username": alarm["username"]}]
    text = _(
        "Logging in with a name that is no account was locked for every address at %(at)s, "
        "after %(n)d failed logins from several addresses within %(minutes)d minutes: someone "
        "may be guessing names and passwords. The audit log has the lockouts."
    )
    return [text % words]


def _cool_off_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """The page of a refused login: which lock holds and when to try again. The same for a
    name that is an account and one that is not, as every lock counts typed names."""
    held = locks_held(request, credentials if isinstance(credentials, dict) else None)
    widest = held[-1] if held else Lock.NAME_AT_ADDRESS
    context = {"lock": widest.name.lower(), "minutes": _cool_off_minutes()}
    return render(request, "registration/locked_out.html", context, status=429)
