"""The subject session: who is signed in on the self-service pages, for 30 minutes.

It is not a Django login: no user, no role, no staff page opens with it. The session holds
the person's id and when they signed in; every self-service page reads the person from here
and shows nothing but theirs. The key is cycled at sign-in, so a session id planted before
cannot ride on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from core.audit import record_event, subject_actor
from subjects.models import DataSubject

SESSION_KEY = "privacyops_subject"
# The subject's session lasts 30 minutes from sign-in, whatever the activity.
SESSION_MINUTES = 30


def start(request: HttpRequest, subject: DataSubject, *, now: dt.datetime | None = None) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = {
        "s": subject.pk,
        "at": (now or timezone.now()).timestamp(),
    }


def end(request: HttpRequest) -> None:
    data = request.session.pop(SESSION_KEY, None)
    if isinstance(data, dict) and isinstance(data.get("s"), int):
        record_event(
            action="selfservice.signed_out", actor=subject_actor(data["s"]),
            target_type="subjects.datasubject", target_id=data["s"],
        )  # fmt: skip


def ends_at(request: HttpRequest) -> dt.datetime | None:
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    started = dt.datetime.fromtimestamp(float(data.get("at", 0)), tz=dt.UTC)
    return started + dt.timedelta(minutes=SESSION_MINUTES)


def current_subject(request: HttpRequest, *, now: dt.datetime | None = None) -> DataSubject | None:
    """The signed-in person, or None (no session, over 30 minutes, or no longer in use)."""
    data = request.session.get(SESSION_KEY)
    until = ends_at(request)
    if not isinstance(data, dict) or until is None or not isinstance(data.get("s"), int):
        return None
    if (now or timezone.now()) >= until:
        request.session.pop(SESSION_KEY, None)
        return None
    subject = (
        DataSubject.objects.active().select_related("organisation").filter(pk=data["s"]).first()
    )
    if subject is None:
        request.session.pop(SESSION_KEY, None)
    return subject


View = Callable[..., HttpResponse]


def subject_required(view: View) -> View:
    """The view gets the signed-in person as `subject`; without one, the sign-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        subject = current_subject(request)
        if subject is None:
            return redirect("selfservice:start")
        return view(request, subject, *args, **kwargs)

    return wrapper
