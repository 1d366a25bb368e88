"""Lockout after repeated failures (a name at one address; an address; a name from every
address only far later, with an alarm), every failed login and lockout audited without what
was typed, the same answers for known and unknown accounts, the second factor for DPO and
Admin, and sessions that end."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import re
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from core.models import AuditEvent, Authenticator, RecoveryCode
from tests.conftest import current_totp

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC)
ATTACKER = "192.0.2.13"
OWNER = "198.51.100.200"


def login(client: Client, username: str, password: str, ip: str = "198.51.100.7") -> Any:
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_name_at_that_address_only(dpo: Any) -> None:
    """Whoever types the DPO's name with wrong passwords locks themselves out, not the DPO."""
    attacker = Client()
    for _ in range(4):
        assert login(attacker, "dpo", "wrong", ip=ATTACKER).status_code == 200
    fifth = login(attacker, "dpo", "wrong", ip=ATTACKER)
    assert fifth.status_code == 429
    assert "with this name from your address is locked for up to 15 minutes" in (
        fifth.content.decode()
    )
    refused = login(attacker, "dpo", "correct horse battery", ip=ATTACKER)
    assert refused.status_code == 429 and "_auth_user_id" not in attacker.session
    owner = Client()
    assert login(owner, "dpo", "correct horse battery", ip=OWNER).status_code == 302
    assert owner.session["_auth_user_id"] == str(dpo.pk)
    events = AuditEvent.objects.filter(action="auth.login_failed")
    assert events.count() == 6  # five wrong passwords, then the refused right one
    assert {e.target_id for e in events} == {str(dpo.pk)}
    lockout = AuditEvent.objects.filter(action="auth.locked_out").last()
    assert lockout is not None and lockout.target_id == str(dpo.pk)
    assert lockout.details["account"] == "known"
    assert lockout.details["lock"] == "name at address" and lockout.details["failures"] == 5


def test_attempts_refused_by_a_lock_do_not_count_towards_the_lock_of_every_address(
    dpo: Any,
) -> None:
    """Hammering one's own lock from one address must not reach the account-wide limit."""
    attacker = Client()
    for _ in range(5 + 100):
        login(attacker, "dpo", "wrong", ip=ATTACKER)
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 5
    assert login(Client(), "dpo", "correct horse battery", ip=OWNER).status_code == 302


def test_twenty_failures_lock_the_address_whatever_names_it_tries(staff: Any) -> None:
    for n in range(19):  # no name reaches its own lock at this address
        assert login(Client(), f"guess{n % 5}", "wrong", ip="192.0.2.66").status_code == 200
    assert login(Client(), "staff", "correct horse battery", ip="192.0.2.66").status_code == 302
    assert login(Client(), "guess-another", "wrong", ip="192.0.2.66").status_code == 429
    locked = login(Client(), "staff", "correct horse battery", ip="192.0.2.66")
    assert locked.status_code == 429
    assert "Logging in from your address is locked for up to 15 minutes, whatever the name" in (
        locked.content.decode()
    )
    assert login(Client(), "staff", "correct horse battery", ip="192.0.2.67").status_code == 302
    lockout = AuditEvent.objects.filter(action="auth.locked_out").first()
    assert lockout is not None and lockout.details["lock"] == "address"


@pytest.mark.clock(NOW)
def test_only_fifty_failures_from_several_addresses_lock_a_name_everywhere_and_alarm_the_admin(
    dpo: Any, admin_user: Any, staff: Any
) -> None:
    for n in range(9):  # nine addresses, each up to its own lock of the name
        for _ in range(5):
            login(Client(), "dpo", "wrong", ip=f"203.0.113.{n}")
    for _ in range(4):
        login(Client(), "dpo", "wrong", ip="203.0.113.9")
    assert login(Client(), "dpo", "correct horse battery", ip=OWNER).status_code == 302
    assert not AuditEvent.objects.filter(details__lock="name everywhere").exists()

    assert login(Client(), "dpo", "wrong", ip="203.0.113.9").status_code == 429  # the 50th
    owner = login(Client(), "dpo", "correct horse battery", ip=OWNER)
    assert owner.status_code == 429
    assert "Logging in with this name is locked for every address for up to 15 minutes" in (
        owner.content.decode()
    )
    assert AuditEvent.objects.filter(
        action="auth.locked_out", target_id=str(dpo.pk), details__lock="name everywhere"
    ).exists()
    assert login(Client(), "staff", "correct horse battery", ip=OWNER).status_code == 302

    admin = Client()
    admin.force_login(admin_user)
    page = admin.get("/").content.decode()
    assert (
        "Logging in as “dpo” was locked for every address at 20.03.2026 11:00, after 50 failed"
        in page
    )
    watcher = Client()
    watcher.force_login(staff)
    assert "locked for every address" not in watcher.get("/").content.decode()

    with time_machine.travel(NOW + dt.timedelta(minutes=16), tick=False):
        assert login(Client(), "dpo", "correct horse battery", ip=OWNER).status_code == 302


def test_an_account_wide_limit_at_or_below_the_per_address_one_stops_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import privacyops.lockout

    monkeypatch.setenv("LOGIN_FAILURE_LIMIT", "5")
    monkeypatch.setenv("LOGIN_ACCOUNT_FAILURE_LIMIT", "5")
    try:
        with pytest.raises(ImproperlyConfigured, match="LOGIN_ACCOUNT_FAILURE_LIMIT"):
            importlib.reload(privacyops.lockout)
    finally:
        monkeypatch.undo()
        importlib.reload(privacyops.lockout)


def test_the_lock_lifts_after_the_cool_off(staff: Any) -> None:
    client = Client()
    with time_machine.travel(NOW, tick=False):
        for _ in range(5):
            login(client, "staff", "wrong")
        assert login(client, "staff", "correct horse battery").status_code == 429
    with time_machine.travel(NOW + dt.timedelta(minutes=16), tick=False):
        assert login(client, "staff", "correct horse battery").status_code == 302


def test_unknown_and_known_accounts_get_the_same_answers(staff: Any) -> None:
    known, unknown = Client(), Client()
    first_known = login(known, "staff", "wrong").content.decode()
    first_unknown = login(unknown, "nobody-here", "wrong").content.decode()
    message = "Your username and password didn"
    assert message in first_known and message in first_unknown
    for _ in range(4):
        login(known, "staff", "wrong", ip="198.51.100.1")
        login(unknown, "nobody-here", "wrong", ip="198.51.100.2")
    locked_known = login(known, "staff", "x", ip="198.51.100.1")
    locked_unknown = login(unknown, "nobody-here", "x", ip="198.51.100.2")
    assert locked_known.status_code == locked_unknown.status_code == 429
    assert locked_known.content == locked_unknown.content


def test_what_was_typed_never_reaches_the_audit_log_or_the_lockout_table(staff: Any) -> None:
    """A password typed into the name field must not be stored anywhere."""
    login(Client(), "Tr0ub4dor&3-typed-in-the-wrong-field", "wrong")
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.target_id == "" and event.details == {"account": "unknown"}
    stored = " ".join(str(v) for row in AccessAttempt.objects.values() for v in row.values()) + str(
        list(AuditEvent.objects.values())
    )
    assert "Tr0ub4dor" not in stored
    assert "wrong" not in stored.replace("wrong field", "")


def test_a_dpo_reaches_nothing_but_the_second_factor_after_the_password(dpo: Any) -> None:
    client = Client()
    response = login(client, "dpo", "correct horse battery")
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 302 and home["Location"].startswith("/account/2fa/?next=/")
    assert client.get("/subjects/")["Location"].startswith("/account/2fa/")
    assert client.get("/api/requests/").status_code in {403, 404}


def test_enrolment_by_qr_code_then_a_later_login_asks_for_the_code(dpo: Any) -> None:
    client = Client()
    login(client, "dpo", "correct horse battery")
    page = client.get("/account/2fa/?next=/").content.decode()
    # The QR code is drawn on the server: the page runs only the portal's own static script.
    assert "<svg" in page
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/js/portal.js" defer>']
    device = Authenticator.objects.get(user=dpo, confirmed=False)
    wrong = client.post("/account/2fa/", {"code": "000000", "step": "confirm", "next": "/"})
    assert "That code does not match" in wrong.content.decode()
    # django-otp throttles after a failure (1 s, doubling): the next try comes later.
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)):
        done = client.post(
            "/account/2fa/", {"code": current_totp(device), "step": "confirm", "next": "/"}
        )
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code not in str(list(RecoveryCode.objects.values())) for code in codes)
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.2fa.enrolled", target_id=str(dpo.pk)).exists()

    client.post("/logout/")
    later = Client()
    login(later, "dpo", "correct horse battery")
    assert later.get("/")["Location"].startswith("/account/2fa/verify/")
    bad = later.post("/account/2fa/verify/", {"code": "123456", "next": "/"})
    assert "That code is not valid" in bad.content.decode()
    assert AuditEvent.objects.filter(action="auth.2fa.failed").count() == 1
    used = later.post("/account/2fa/verify/", {"code": codes[0], "next": "/"})
    assert used.status_code == 302 and used["Location"] == "/"
    assert later.get("/").status_code == 200
    verified = AuditEvent.objects.get(action="auth.2fa.verified")
    assert verified.details == {"method": "recovery code", "recovery_codes_left": 9}
    # A recovery code works once.
    again = Client()
    login(again, "dpo", "correct horse battery")
    assert (
        "That code is not valid"
        in again.post("/account/2fa/verify/", {"code": codes[0]}).content.decode()
    )


def test_staff_may_use_the_portal_without_a_second_factor(staff: Any) -> None:
    client = Client()
    login(client, "staff", "correct horse battery")
    assert client.get("/").status_code == 200
    assert client.get("/account/2fa/").status_code == 200  # may enrol


def test_a_session_ends_after_thirty_idle_minutes_and_at_eight_hours(staff: Any) -> None:
    client = Client()
    with time_machine.travel(NOW, tick=False):
        login(client, "staff", "correct horse battery")
    with time_machine.travel(NOW + dt.timedelta(minutes=29), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(NOW + dt.timedelta(minutes=58), tick=False):
        assert client.get("/").status_code == 200  # 29 minutes after the last page
    with time_machine.travel(NOW + dt.timedelta(minutes=89), tick=False):
        response = client.get("/")  # 31 minutes
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    expired = AuditEvent.objects.get(action="auth.session_expired")
    assert expired.details == {"reason": "inactivity"}

    busy = Client()
    with time_machine.travel(NOW, tick=False):
        login(busy, "staff", "correct horse battery")
    for minutes in range(20, 8 * 60, 20):
        with time_machine.travel(NOW + dt.timedelta(minutes=minutes), tick=False):
            assert busy.get("/").status_code == 200
    with time_machine.travel(NOW + dt.timedelta(hours=8, minutes=1), tick=False):
        assert busy.get("/").status_code == 302
    assert AuditEvent.objects.filter(details__reason="maximum length").exists()


def test_there_is_no_password_reset_to_enumerate_accounts(client: Client) -> None:
    assert client.get("/password_reset/").status_code == 404
    assert client.get("/accounts/password_reset/").status_code == 404


def test_the_authenticators_secret_is_encrypted_at_rest_and_follows_a_key_rotation(
    dpo: Any,
) -> None:
    """django-otp's own TOTP device keeps the secret as hex in clear; the portal's keeps it
    encrypted, so a copy of the database hands out no second factor."""
    from cryptography.fernet import Fernet
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import override_settings
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from core import crypto

    client = Client()
    login(client, "dpo", "correct horse battery")
    client.get("/account/2fa/?next=/")
    device = Authenticator.objects.get(user=dpo, confirmed=False)
    assert len(device.bin_key) == 20 and device.bin_key == bytes.fromhex(device.key)

    def stored() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT key FROM core_authenticator WHERE id = %s", [device.pk])
            (value,) = cursor.fetchone()
        return str(value)

    assert device.key not in stored() and crypto.is_current(stored().encode())
    assert not TOTPDevice.objects.exists()  # nothing written where the secret is in clear

    new_key = Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, *settings.FIELD_ENCRYPTION_KEYS]):
        before = stored()
        call_command("reencrypt", "--no-progress", stdout=open(os.devnull, "w"))
        assert stored() != before and crypto.is_current(stored().encode())
        confirmed = client.post(
            "/account/2fa/",
            {"code": current_totp(Authenticator.objects.get(pk=device.pk)), "step": "confirm"},
        )
        assert confirmed.status_code == 200 and len(confirmed.context["codes"]) == 10
    assert Authenticator.objects.filter(pk=device.pk, confirmed=True).exists()
