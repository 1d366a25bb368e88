"""The authenticator app as a django-otp device, its shared secret encrypted at rest."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from core.fields import EncryptedTextField


class Authenticator(TimestampMixin, ThrottlingMixin, Device):
    """A user's authenticator app (TOTP, RFC 6238), as a django-otp device: django-otp's own
    `TOTPDevice` — its fields, defaults, verification, throttling and otpauth:// URL — with
    the shared secret encrypted at rest (`EncryptedTextField`, a credential like a webhook's
    secret: `reencrypt` rotates it), where `TOTPDevice` keeps it as hex in clear, so a copy of
    the database would hand out every second factor. In Python `key` is the same hex."""

    key = EncryptedTextField(default=default_key, personal_data=False)
    # Annotated by hand: with django-otp's untyped bases the plugin infers no field types.
    step: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(default=30)
    t0: models.BigIntegerField[int, int] = models.BigIntegerField(default=0)
    digits: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        choices=[(6, 6), (8, 8)], default=6
    )
    tolerance: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        default=1
    )
    drift: models.SmallIntegerField[int, int] = models.SmallIntegerField(default=0)
    last_t: models.BigIntegerField[int, int] = models.BigIntegerField(default=-1)

    # TOTPDevice's behaviour, unchanged: it reads the secret through `bin_key` only.
    verify_token = TOTPDevice.verify_token
    get_throttle_factor = TOTPDevice.get_throttle_factor
    config_url = TOTPDevice.config_url
    _read_str_from_settings = TOTPDevice._read_str_from_settings

    class Meta:
        verbose_name = _("authenticator app")

    def __str__(self) -> str:
        return f"authenticator of user {self.user_id}"

    @property
    def bin_key(self) -> bytes:
        return bytes.fromhex(self.key)
