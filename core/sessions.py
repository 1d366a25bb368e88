"""Sessions end after a period of inactivity and, whatever the activity, some hours after the
login (SESSION_IDLE_MINUTES, SESSION_MAX_HOURS): a portal left open on an unattended screen
closes itself, and a stolen session cookie does not live for ever."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import record_event

STARTED_KEY = "privacyops_session_started"
SEEN_KEY = "privacyops_session_seen"
# Last activity is written at most once a minute: a page load rarely writes the session, so
# the timeout is exact to a minute and costs no query on most requests.
SEEN_GRANULARITY_SECONDS = 60


def start_session_clock(request: HttpRequest) -> None:
    now = timezone.now().timestamp()
    request.session[STARTED_KEY] = now
    request.session[SEEN_KEY] = now


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        now = timezone.now().timestamp()
        started = request.session.get(STARTED_KEY)
        seen = request.session.get(SEEN_KEY)
        if started is None or seen is None:
            start_session_clock(request)  # a session from before this rule: starts now
            return
        idle = now - seen > settings.SESSION_IDLE_TIMEOUT.total_seconds()
        too_old = now - started > settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()
        if idle or too_old:
            record_event(
                action="auth.session_expired",
                actor=request.user,
                target_type="auth.user",
                target_id=request.user.pk,
                details={"reason": "inactivity" if idle else "maximum length"},
            )
            logout(request)
            messages.info(
                request,
                _("Your session ended after %(minutes)d minutes without activity. Log in again.")
                % {"minutes": int(settings.SESSION_IDLE_TIMEOUT.total_seconds() // 60)}
                if idle
                else _("Your session reached its maximum length. Log in again."),
            )
            return
        if now - seen >= SEEN_GRANULARITY_SECONDS:
            request.session[SEEN_KEY] = now
