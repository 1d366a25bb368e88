"""Second factor: TOTP enrolment by QR code, verification at login, recovery codes.

Required of DPO and Admin (`core.permissions` enforces it on every page but these); Staff
and Auditor may enrol, and once enrolled they are asked for a code at every login too.
"""

from __future__ import annotations

import base64
import secrets

import segno
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.models import Device

from core.audit import record_event
from core.models import Authenticator, RecoveryCode, RecoveryCodeDevice, recovery_code_digest
from core.permissions import Role, user_roles

SECOND_FACTOR_ROLES = frozenset({Role.DPO, Role.ADMIN})
# Set at login: the user has an authenticator, so this session asks for it whatever the role.
ENROLLED_SESSION_KEY = "privacyops_2fa_enrolled"
RECOVERY_CODES = 10
# 32 symbols without 0/O and 1/I; 16 of them make 80 random bits per code.
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def second_factor_required(request: HttpRequest) -> bool:
    roles = user_roles(request.user)
    return bool(roles & SECOND_FACTOR_ROLES) or bool(request.session.get(ENROLLED_SESSION_KEY))


def second_factor_missing(request: HttpRequest) -> bool:
    if not second_factor_required(request):
        return False
    is_verified = getattr(request.user, "is_verified", None)
    return not (callable(is_verified) and is_verified())


def has_authenticator(user: AbstractBaseUser) -> bool:
    return bool(Authenticator.objects.filter(user_id=user.pk, confirmed=True).exists())


def remember_enrolment(request: HttpRequest, user: AbstractBaseUser) -> None:
    request.session[ENROLLED_SESSION_KEY] = has_authenticator(user)


# --- enrolment ------------------------------------------------------------------------------


def pending_authenticator(user: AbstractBaseUser) -> Authenticator:
    """The authenticator being set up: the same secret until it is confirmed, so reloading
    the page does not invalidate a QR code already scanned."""
    device: Authenticator | None = Authenticator.objects.filter(
        user_id=user.pk, confirmed=False
    ).first()
    if device is None:
        device = Authenticator.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def qr_code_svg(device: Authenticator) -> str:
    """The otpauth:// URI as an inline SVG drawn here: the secret never leaves the server
    for a QR service, and the page needs no script."""
    return str(segno.make(device.config_url, error="m").svg_inline(scale=5, border=2))


def manual_key(device: Authenticator) -> str:
    key = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def confirm_authenticator(*, request: HttpRequest, token: str) -> list[str] | None:
    """The first code from the app confirms the authenticator: it replaces any earlier one,
    new recovery codes are issued (returned, to be shown once) and this session is verified.
    None when the code is wrong."""
    user = request.user
    assert isinstance(user, AbstractBaseUser)
    with transaction.atomic():
        device = (
            Authenticator.objects.select_for_update()
            .filter(user_id=user.pk, confirmed=False)
            .first()
        )
        if device is None or not device.verify_token(_digits(token)):
            return None
        Authenticator.objects.filter(user_id=user.pk).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _issue_recovery_codes(user)
        record_event(
            action="auth.2fa.enrolled",
            actor=user,
            target=user,
            details={"recovery_codes": len(codes)},
        )
    otp_login(request, device)
    request.session[ENROLLED_SESSION_KEY] = True
    return codes


def renew_recovery_codes(*, request: HttpRequest) -> list[str]:
    user = request.user
    assert isinstance(user, AbstractBaseUser)
    with transaction.atomic():
        codes = _issue_recovery_codes(user)
        record_event(
            action="auth.2fa.recovery_codes_renewed",
            actor=user,
            target=user,
            details={"recovery_codes": len(codes)},
        )
    return codes


def _issue_recovery_codes(user: AbstractBaseUser) -> list[str]:
    device, _ = RecoveryCodeDevice.objects.get_or_create(
        user_id=user.pk, defaults={"name": "Recovery codes", "confirmed": True}
    )
    device.codes.all().delete()
    codes = [_new_code() for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, code_digest=recovery_code_digest(code)) for code in codes
    )
    return codes


def _new_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _digits(token: str) -> str:
    return "".join(token.split())


# --- verification ---------------------------------------------------------------------------


def verify_second_factor(*, request: HttpRequest, token: str) -> Device | None:
    """A code from the app or an unused recovery code verifies this session; either way
    the attempt is audited. django-otp throttles the app's codes after failures."""
    user = request.user
    assert isinstance(user, AbstractBaseUser)
    token = token.strip()
    matched: Device | None = None
    method = ""
    with transaction.atomic():
        for device in Authenticator.objects.select_for_update().filter(
            user_id=user.pk, confirmed=True
        ):
            if device.verify_token(_digits(token)):
                matched, method = device, "authenticator"
                break
        if matched is None and len(_digits(token)) > 8:
            recovery = RecoveryCodeDevice.objects.filter(user_id=user.pk, confirmed=True).first()
            if recovery is not None and recovery.verify_token(token):
                matched, method = recovery, "recovery code"
        details: dict[str, object] = {"method": method} if matched else {}
        if isinstance(matched, RecoveryCodeDevice):
            details["recovery_codes_left"] = matched.codes_left()
        record_event(
            action="auth.2fa.verified" if matched else "auth.2fa.failed",
            actor=user,
            target=user,
            details=details,
        )
    if matched is not None:
        otp_login(request, matched)
    return matched
