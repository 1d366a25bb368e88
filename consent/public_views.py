"""Public pages for data subjects: unsubscribe, subscribe (double opt-in), the policy.

No login. The unsubscribe POST is CSRF-exempt because mail clients POST to it directly
(RFC 8058 one-click); the signed token is what authorises it.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from consent import services
from consent.emails import SUBSCRIBE_LINK_PERIOD, read_unsubscribe_token
from consent.forms import SubscribeForm
from consent.models import POLICY_ORIGINAL_LANGUAGE, PolicyVersion
from consent.selectors import consent_state
from consent.services.subscription import (
    SubscriptionLinkUsed,
    read_subscription,
    subscription_wording,
)
from consent.wording import public_wording
from core.http import client_ip
from core.permissions import requires
from core.ratelimit import Limit, allow_per_address_and_email
from core.timeutil import legal_today
from processing.models import Purpose
from subjects.models import DataSubject

# (attempts, window in seconds) per client address and per e-mail address asked for; each
# attempt sends an e-mail, so the per-address limit keeps the form from mailing strangers.
SUBSCRIBE_RATE_LIMITS: dict[str, Limit] = {"ip": (10, 3600), "email": (3, 24 * 3600)}


def _subscription_allowed(request: HttpRequest, email: str) -> bool:
    limits = {**SUBSCRIBE_RATE_LIMITS, **getattr(settings, "SUBSCRIBE_RATE_LIMITS", {})}
    return allow_per_address_and_email(
        scope="subscribe", ip=client_ip(request), email=email, limits=limits
    )


def _bad_link(request: HttpRequest, *, expired: bool = False, used: bool = False) -> HttpResponse:
    context = {"expired": expired, "used": used}
    return render(request, "consent/public/bad_link.html", context, status=410 if used else 400)


def _in_their_language(request: HttpRequest, subject: DataSubject | None) -> None:
    """The page speaks the person's language, as their e-mails do, unless
    the visitor has picked one with the switcher."""
    if subject is None or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
        return
    translation.activate(subject.letter_language())
    request.LANGUAGE_CODE = translation.get_language() or settings.LANGUAGE_CODE


def _unsubscribe_page(
    request: HttpRequest, template: str, purpose: Purpose, **context: object
) -> HttpResponse:
    return render(
        request, template, {"purpose": purpose, "wording": public_wording(purpose), **context}
    )


@csrf_exempt
@requires("consent.public")
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subject_id, purpose_id = read_unsubscribe_token(token)
    except signing.BadSignature:
        return _bad_link(request)
    _in_their_language(request, DataSubject.objects.filter(pk=subject_id).first())
    if request.method == "POST":
        subject, purpose, _event = services.record_unsubscribe(
            subject_id=subject_id, purpose_id=purpose_id
        )
        if purpose is None:
            return _bad_link(request)
        return _unsubscribe_page(request, "consent/public/unsubscribed.html", purpose)
    purpose = Purpose.objects.filter(pk=purpose_id).first()
    subject = DataSubject.objects.filter(pk=subject_id).first()
    if purpose is None or subject is None:
        return _bad_link(request)
    already = subject.anonymised_at is not None or not consent_state(subject, purpose).permitted
    return _unsubscribe_page(
        request, "consent/public/unsubscribe.html", purpose, token=token, already=already
    )


@requires("consent.public")
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if not _subscription_allowed(request, form.cleaned_data["email"]):
            form.add_error(
                None,
                _(
                    "Too many subscriptions have been asked for from here or for this e-mail "
                    "address. Please try again later."
                ),
            )
            status = 429
        else:
            try:
                services.request_subscription(
                    email=form.cleaned_data["email"],
                    purposes=list(form.cleaned_data["purposes"]),
                    name=form.cleaned_data["name"],
                    language=translation.get_language() or "en",
                )
            except ValidationError as error:
                for field, messages_ in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages_)
            else:
                return redirect("consent_public:subscribe_sent")
    purposes_field = form.fields["purposes"]
    assert isinstance(purposes_field, forms.ModelChoiceField)
    assert purposes_field.queryset is not None
    purposes = list(purposes_field.queryset)
    return render(
        request,
        "consent/public/subscribe.html",
        {
            "form": form,
            "wording": subscription_wording(purposes) if purposes else "",
            "link_period": SUBSCRIBE_LINK_PERIOD,
        },
        status=status,
    )


@requires("consent.public")
@require_GET
def subscribe_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request, "consent/public/subscribe_sent.html", {"link_period": SUBSCRIBE_LINK_PERIOD}
    )


@requires("consent.public")
@require_http_methods(["GET", "POST"])
def subscribe_confirm(request: HttpRequest, token: str) -> HttpResponse:
    # GET only shows a button: mail scanners fetch links, and a fetch must not grant consent.
    try:
        link = read_subscription(token)
    except signing.SignatureExpired:
        return _bad_link(request, expired=True)
    except signing.BadSignature:
        return _bad_link(request)
    except SubscriptionLinkUsed:
        return _bad_link(request, used=True)
    if request.method == "GET":
        return render(
            request,
            "consent/public/subscribe_confirm.html",
            {"purposes": link.purposes, "wording": link.pending.wording, "token": token},
        )
    try:
        outcome = services.confirm_subscription(token=token)
    except SubscriptionLinkUsed:  # a second click that came in while the first was recorded
        return _bad_link(request, used=True)
    except ValidationError as error:
        return render(
            request,
            "consent/public/subscribe_refused.html",
            {"messages_": error.messages},
            status=409,
        )
    return render(
        request,
        "consent/public/subscribed.html",
        {"purposes": outcome.purposes, "recorded": bool(outcome.events)},
    )


@requires("consent.public")
@require_GET
def policy(request: HttpRequest) -> HttpResponse:
    today = legal_today()
    current = PolicyVersion.objects.in_force(on=today).first()
    upcoming = PolicyVersion.objects.filter(effective_on__gt=today).order_by("effective_on")
    language = get_language() or settings.LANGUAGE_CODE
    text, original_only = "", False
    if current is not None:
        translated = current.texts.filter(language=language).first()
        if translated is not None:
            text = translated.full_text
        else:
            text = current.full_text
            original_only = language != POLICY_ORIGINAL_LANGUAGE
    return render(
        request,
        "consent/public/policy.html",
        {
            "current": current,
            "upcoming": upcoming,
            "text": text,
            "original_only": original_only,
            "original_language": POLICY_ORIGINAL_LANGUAGE,
        },
    )
