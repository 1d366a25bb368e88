"""One source for the client's address behind the TLS proxy, used by the
audit log, the login lockout and the public rate limits; a spoofed first hop is never read."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client, RequestFactory
from pytest_django import Settings

from core.http import client_ip
from core.models import AuditEvent
from processing.models import Purpose
from subject_requests.models import SubjectRequest
from tests.test_settings import production_env, run_django

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # the TLS proxy, as the application's socket sees it
CLIENT = "203.0.113.9"


def through_proxies(*hops: str) -> dict[str, Any]:
    """What the application receives: the innermost proxy's socket address and the
    X-Forwarded-For chain (client-sent entries first, each proxy's append after)."""
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": ", ".join(hops)}


@pytest.mark.parametrize(
    ("proxies", "meta", "expected"),
    [
        (1, through_proxies(CLIENT), CLIENT),
        # The client sent its own X-Forwarded-For: the proxy appended the real address.
        (1, through_proxies("6.6.6.6", CLIENT), CLIENT),
        (1, through_proxies("6.6.6.6", "7.7.7.7", CLIENT), CLIENT),
        # Two proxies: the outer one appended the client, the inner one the outer proxy.
        (2, through_proxies("6.6.6.6", CLIENT, "10.0.0.1"), CLIENT),
        (2, through_proxies("2001:db8::1", "10.0.0.1"), "2001:db8::1"),
        # No proxy trusted (a laptop): the header is the client's word and is ignored.
        (0, through_proxies("6.6.6.6", CLIENT), PROXY),
        # A request that did not pass the proxy, and a proxy that wrote no address.
        (1, {"REMOTE_ADDR": CLIENT}, CLIENT),
        (1, through_proxies("6.6.6.6", "unknown"), PROXY),
    ],
)
def test_the_client_address_is_the_one_the_outermost_trusted_proxy_wrote(
    settings: Settings, proxies: int, meta: dict[str, Any], expected: str
) -> None:
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(RequestFactory().get("/", **meta)) == expected


def test_the_audit_log_records_the_client_not_the_proxy_nor_the_spoofed_hop(
    settings: Settings,
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    Client().post(
        "/login/",
        {"username": "nobody", "password": "wrong"},
        **through_proxies("6.6.6.6", CLIENT),
    )
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.ip_address == CLIENT


def test_the_login_lockout_counts_the_client_whatever_first_hop_it_invents(
    settings: Settings, staff: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client()
    for n in range(5):
        client.post(
            "/login/",
            {"username": f"guess{n}", "password": "wrong"},
            **through_proxies(f"6.6.6.{n}", CLIENT),
        )
    locked = client.post(
        "/login/",
        {"username": "staff", "password": "correct horse battery"},
        **through_proxies("6.6.6.99", CLIENT),
    )
    assert locked.status_code == 429
    # Another client behind the same proxy is not locked out with it.
    other = client.post(
        "/login/",
        {"username": "staff", "password": "correct horse battery"},
        **through_proxies("198.51.100.20"),
    )
    assert other.status_code == 302


def request_form(email: str) -> dict[str, str]:
    return {"type": "access", "name": "Mari", "email": email, "description": "", "website": ""}


def test_the_public_request_form_is_limited_per_client_behind_the_proxy(
    settings: Settings, client: Client
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    settings.REQUESTS_PUBLIC_RATE_LIMITS = {"ip": (2, 3600)}
    statuses = [
        client.post(
            "/privacy/request/",
            request_form(f"person{n}@example.org"),
            **through_proxies(f"6.6.6.{n}", CLIENT),
        ).status_code
        for n in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert SubjectRequest.objects.count() == 2
    # A neighbour behind the same proxy still gets through.
    neighbour = client.post(
        "/privacy/request/", request_form("n@example.org"), **through_proxies("198.51.100.20")
    )
    assert neighbour.status_code == 302


def subscribe(client: Client, email: str, marketing: Purpose, *hops: str) -> int:
    data = {"email": email, "name": "", "purposes": [str(marketing.pk)]}
    return client.post("/p/subscribe/", data, **through_proxies(*hops)).status_code


def test_subscribing_is_limited_per_client_address(
    settings: Settings, client: Client, marketing: Purpose
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    settings.SUBSCRIBE_RATE_LIMITS = {"ip": (2, 3600)}
    statuses = [
        subscribe(client, f"reader{n}@example.org", marketing, f"6.6.6.{n}", CLIENT)
        for n in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert len(mail.outbox) == 2
    assert subscribe(client, "other@example.org", marketing, "198.51.100.20") == 302


def test_subscribing_is_limited_per_target_address_from_any_client(
    client: Client, marketing: Purpose
) -> None:
    statuses = [
        subscribe(client, "Target@Example.org", marketing, f"198.51.100.{n}") for n in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    assert len(mail.outbox) == 3
    page = client.post(
        "/p/subscribe/",
        {"email": "target@example.org", "purposes": [str(marketing.pk)]},
        HTTP_ACCEPT_LANGUAGE="et",
    )
    assert page.status_code == 429
    assert "Liiga palju" in page.content.decode()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [({}, "1"), ({"BEHIND_TLS_PROXY": "false"}, "0"), ({"TRUSTED_PROXY_COUNT": "2"}, "2")],
)
def test_production_trusts_one_proxy_unless_told_otherwise(
    overrides: dict[str, str], expected: str
) -> None:
    result = run_django(
        production_env() | overrides,
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.TRUSTED_PROXY_COUNT)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected
