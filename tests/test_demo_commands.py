from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from consent.models import ConsentEvent
from subject_requests.models import Status, SubjectRequest

pytestmark = pytest.mark.django_db


def test_make_run_demo_gives_logins_for_every_role_and_a_lived_in_portal(
    settings: Settings,
    seeded: None,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.DEBUG = True
    settings.DEMO_PASSWORD = "demo-password-123"
    call_command("seed_demo", "--subjects", "120", "--if-empty", verbosity=0, stdout=StringIO())
    out = StringIO()
    call_command("demo_users", stdout=out)
    assert "password for all: demo-password-123" in out.getvalue()
    users = get_user_model().objects.filter(username__in=["dpo", "staff", "admin", "auditor"])
    assert sorted(u.groups.get().name for u in users) == ["Admin", "Auditor", "DPO", "Staff"]

    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo_activity", "--if-empty", stdout=StringIO())
    statuses = set(SubjectRequest.objects.values_list("status", flat=True))
    assert {Status.IN_PROGRESS, Status.REJECTED, Status.COMPLETED} <= statuses
    assert SubjectRequest.objects.filter(extended_at__isnull=False).count() == 1
    assert ConsentEvent.objects.filter(kind="withdrawn").count() == 6

    again = StringIO()
    call_command("demo_activity", "--if-empty", stdout=again)
    assert "no demo activity added" in again.getvalue()
    assert SubjectRequest.objects.count() == 14


def test_demo_logins_are_refused_in_production(settings: Settings) -> None:
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="development"):
        call_command("demo_users", stdout=StringIO())


def test_a_newcomer_logs_in_as_dpo_and_admin_with_the_printed_key(
    settings: Settings, seeded: None
) -> None:
    """`make run` prints, in development only, an enrolled authenticator's key (as text and
    as an otpauth:// URI) for DPO and Admin: a code computed from the printed key passes the
    second factor at the first login, with no enrolment step. A second run keeps the key."""
    import base64
    import re

    from django.test import Client
    from django_otp.oath import totp

    settings.DEBUG = True
    settings.DEMO_PASSWORD = "demo-password-123"
    out = StringIO()
    call_command("demo_users", stdout=out)
    printed = dict(re.findall(r"^  (dpo|admin)\s+key ([A-Z2-7]+=*)$", out.getvalue(), re.M))
    assert set(printed) == {"dpo", "admin"}
    uris = re.findall(r"^\s+(otpauth://totp/\S+)$", out.getvalue(), re.M)
    assert len(uris) == 2 and all(f"secret={key}" in " ".join(uris) for key in printed.values())
    for username, key in printed.items():
        client = Client()
        client.post("/login/", {"username": username, "password": "demo-password-123"})
        assert client.get("/")["Location"].startswith("/account/2fa/verify/")
        code = f"{totp(base64.b32decode(key)):06d}"
        verified = client.post("/account/2fa/verify/", {"code": code, "next": "/"})
        assert verified.status_code == 302 and verified["Location"] == "/"
        assert client.get("/").status_code == 200
    again = StringIO()
    call_command("demo_users", stdout=again)
    assert all(f"key {key}" in again.getvalue() for key in printed.values())
