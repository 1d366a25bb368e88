"""Passwords are stored with Argon2id at OWASP's setting; one stored with PBKDF2 (every
password before) still logs in and is stored again with Argon2id at that login. The tests'
settings hash with MD5 for speed, so these tests put production's hashers back."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import get_hasher
from django.contrib.auth.password_validation import get_default_password_validators
from django.test import Client, override_settings

from core.hashers import Argon2idHasher
from tests.test_settings import production_env, run_django

pytestmark = pytest.mark.django_db

PRODUCTION = ["core.hashers.Argon2idHasher", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
PASSWORD = "correct horse battery"


def test_production_stores_passwords_with_argon2id_and_still_checks_pbkdf2() -> None:
    shown = run_django(
        production_env(),
        "shell",
        "-c",
        "from django.conf import settings; print(*settings.PASSWORD_HASHERS)",
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[-1].split() == PRODUCTION
    with override_settings(PASSWORD_HASHERS=PRODUCTION):
        preferred = get_hasher("default")
        assert isinstance(preferred, Argon2idHasher)
        encoded = preferred.encode(PASSWORD, preferred.salt())
        # argon2id, version 19, 19 MiB, 2 passes, 1 lane.
        assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
        assert preferred.verify(PASSWORD, encoded)


def test_a_pbkdf2_password_logs_in_and_is_stored_again_with_argon2id(staff: Any) -> None:
    with override_settings(PASSWORD_HASHERS=list(reversed(PRODUCTION))):
        staff.set_password(PASSWORD)
        staff.save()
    staff.refresh_from_db()
    assert staff.password.startswith("pbkdf2_sha256$")
    with override_settings(PASSWORD_HASHERS=PRODUCTION):
        client = Client()
        response = client.post(
            "/login/", {"username": staff.username, "password": PASSWORD}, REMOTE_ADDR="192.0.2.1"
        )
        assert response.status_code == 302 and "_auth_user_id" in client.session
    staff.refresh_from_db()
    assert staff.password.startswith("argon2$argon2id$")
    with override_settings(PASSWORD_HASHERS=PRODUCTION):
        assert staff.check_password(PASSWORD) and not staff.check_password("wrong")


def test_a_wrong_password_is_not_stored_again(staff: Any) -> None:
    with override_settings(PASSWORD_HASHERS=list(reversed(PRODUCTION))):
        staff.set_password(PASSWORD)
        staff.save()
    before = type(staff).objects.get(pk=staff.pk).password
    with override_settings(PASSWORD_HASHERS=PRODUCTION):
        Client().post(
            "/login/", {"username": staff.username, "password": "wrong"}, REMOTE_ADDR="192.0.2.2"
        )
    assert type(staff).objects.get(pk=staff.pk).password == before


def test_every_password_validator_of_the_settings_loads() -> None:
    names = [type(validator).__name__ for validator in get_default_password_validators()]
    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
    assert len(settings.AUTH_PASSWORD_VALIDATORS) == 4
