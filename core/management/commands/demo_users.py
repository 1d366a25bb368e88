from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from core.permissions import Role
from core.seeding import seed_all

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
                user.groups.add(Group.objects.get(name=role.value))
        if options["verbosity"] == 0:
            return
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"PrivacyOps is at http://127.0.0.1:{web_port()}"))
        self.stdout.write(f"Log in as one of (password for all: {password})")
        for username, role in DEMO_USERS:
            self.stdout.write(f"  {username:<8} {role.label}")
        self.stdout.write("")
