"""The migration that moves authenticators out of django-otp's TOTP devices, whose secret is
hex in clear, into the portal's own, whose secret is encrypted — and back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.crypto import is_current
from core.models import Authenticator
from tests.factories import UserFactory
from tests.migrating import migrate

BEFORE = [("core", "0005_api_keys"), ("otp_totp", "0003_add_timestamps")]
SECRET = "3132333435363738393031323334353637383930"


@pytest.mark.django_db(transaction=True)
def test_the_secret_moves_encrypted_keeps_its_codes_and_goes_back() -> None:
    user = UserFactory.create(username="enrolled")
    old = migrate(BEFORE).loader.project_state(BEFORE).apps
    created = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    device = old.get_model("otp_totp", "TOTPDevice").objects.create(
        user_id=user.pk, name="Phone", key=SECRET, confirmed=True, last_t=1234, drift=1
    )
    old.get_model("otp_totp", "TOTPDevice").objects.filter(pk=device.pk).update(created_at=created)

    migrate()
    assert not TOTPDevice.objects.exists()
    moved = Authenticator.objects.get(user=user)
    assert (moved.name, moved.confirmed, moved.key, moved.last_t, moved.drift) == (
        "Phone", True, SECRET, 1234, 1,
    )  # fmt: skip
    assert moved.created_at == created
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM core_authenticator WHERE id = %s", [moved.pk])
        (stored,) = cursor.fetchone()
    assert SECRET not in stored and is_current(stored.encode())
    # The app on the phone goes on working: the code it shows now verifies.
    code = totp(moved.bin_key, step=moved.step, drift=moved.drift)
    assert moved.verify_token(f"{code:06d}")

    migrate(BEFORE)
    (back,) = old.get_model("otp_totp", "TOTPDevice").objects.filter(user_id=user.pk)
    assert (back.key, back.confirmed) == (SECRET, True)
    migrate()
