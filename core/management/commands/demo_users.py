from __future__ import annotations

import base64
import os
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from core.models import Authenticator
from core.permissions import Role, role_group
from core.seeding import seed_all
from core.services.two_factor import SECOND_FACTOR_ROLES

DEFAULT_PORT = "8000"


def web_port() -> str:
    """The port the Procfile's web process listens on: `PORT`, as `make run` sets it."""
    return os.environ.get("PORT") or DEFAULT_PORT


DEMO_USERS = [
    ("dpo", Role.DPO),
    ("staff", Role.STAFF),
    ("admin", Role.ADMIN),
    ("auditor", Role.AUDITOR),
]


def demo_authenticator(user: Any) -> Authenticator:
    """The demo login's authenticator, enrolled already (development only), so a newcomer's
    first login as DPO or Admin asks for a code from a key printed here, not for enrolment."""
    device: Authenticator | None = Authenticator.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = Authenticator.objects.create(user=user, name="Demo authenticator", confirmed=True)
    return device


class Command(BaseCommand):
    help = "Create one demo login per role (development only) and print them."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo logins are for development (DEBUG=true) only.")
        password = settings.DEMO_PASSWORD
        if not password:
            raise CommandError("DEMO_PASSWORD is not set (it is generated into .env).")
        seed_all()
        User = get_user_model()
        for username, role in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": role.label, "email": f"{username}@privacyops.example"},
            )
            if created:
                user.set_password(password)
                user.is_staff = role == Role.ADMIN  # the Django admin needs is_staff
                user.save()
                user.groups.add(Group.objects.filter(role_group(role)).order_by("id")[0])
            if role in SECOND_FACTOR_ROLES:
                demo_authenticator(user)
        if options["verbosity"] == 0:
            return
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"PrivacyOps is at http://127.0.0.1:{web_port()}"))
        self.stdout.write(f"Log in as one of (password for all: {password})")
        for username, role in DEMO_USERS:
            self.stdout.write(f"  {username:<8} {role.label}")
        self.stdout.write("")
        self.stdout.write(
            "DPO and Admin pass a second factor. Their demo authenticators are enrolled: add a "
            "key to any authenticator app (type it, or open the otpauth:// line on a phone),"
        )
        self.stdout.write("then log in with the password and the app's current code.")
        for username, role in DEMO_USERS:
            if role in SECOND_FACTOR_ROLES:
                device = demo_authenticator(User.objects.get(username=username))
                key = base64.b32encode(device.bin_key).decode()
                self.stdout.write(f"  {username:<8} key {key}")
                self.stdout.write(f"  {'':<8} {device.config_url}")
        self.stdout.write("")
