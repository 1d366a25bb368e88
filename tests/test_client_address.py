"""One source for the client's address behind the TLS proxy, used by the audit log, the login
lockout and the public rate limits: X-Forwarded-For is read only from a trusted proxy, from the
right, and a spoofed first hop is never read."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings as django_settings
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


@pytest.fixture
def behind_the_proxy(settings: Settings) -> None:
    settings.TRUSTED_PROXIES = (ipaddress.ip_network(PROXY),)


@pytest.mark.parametrize(
    ("trusted", "meta", "expected"),
    [
        ([PROXY], through_proxies(CLIENT), CLIENT),
        # The client sent its own X-Forwarded-For: the proxy appended the real address.
        ([PROXY], through_proxies("6.6.6.6", CLIENT), CLIENT),
        ([PROXY], through_proxies("6.6.6.6", "7.7.7.7", CLIENT), CLIENT),
        # A dual-stack socket shows the proxy as an IPv4-mapped IPv6 address.
        ([PROXY], {**through_proxies(CLIENT), "REMOTE_ADDR": f"::ffff:{PROXY}"}, CLIENT),
        # Two proxies: the outer one appended the client, the inner one the outer proxy.
        (["10.0.0.0/24"], through_proxies("6.6.6.6", CLIENT, "10.0.0.1"), CLIENT),
        (["10.0.0.0/24"], through_proxies("2001:db8::1", "10.0.0.1"), "2001:db8::1"),
        # Only trusted proxies in the chain: the farthest one is the nearest known client.
        (["10.0.0.0/24"], through_proxies("10.0.0.1"), "10.0.0.1"),
        # No proxy trusted (the default): the header is the client's word and is ignored.
        ([], through_proxies("6.6.6.6", CLIENT), PROXY),
        # The proxy bypassed: a client reaching the application itself names any address.
        ([PROXY], {"REMOTE_ADDR": CLIENT, "HTTP_X_FORWARDED_FOR": "198.51.100.1"}, CLIENT),
        # A request that did not pass the proxy, and a proxy that wrote no address.
        ([PROXY], {"REMOTE_ADDR": CLIENT}, CLIENT),
        ([PROXY], through_proxies("6.6.6.6", "unknown"), PROXY),
    ],
)
def test_the_client_address_is_read_from_trusted_proxies_only(
    settings: Settings, trusted: list[str], meta: dict[str, Any], expected: str
) -> None:
    settings.TRUSTED_PROXIES = tuple(ipaddress.ip_network(n) for n in trusted)
    assert client_ip(RequestFactory().get("/", **meta)) == expected


def test_the_default_trusts_no_proxy() -> None:
    assert django_settings.TRUSTED_PROXIES == ()
    request = RequestFactory().get("/", **through_proxies("6.6.6.6", CLIENT))
    assert client_ip(request) == PROXY


def test_the_audit_log_records_the_client_not_the_proxy_nor_the_spoofed_hop(
    behind_the_proxy: None,
) -> None:
    Client().post(
        "/login/",
        {"username": "nobody", "password": "wrong"},
        **through_proxies("6.6.6.6", CLIENT),
    )
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.ip_address == CLIENT


def test_the_login_lockout_counts_the_client_whatever_first_hop_it_invents(
    behind_the_proxy: None, staff: Any
) -> None:
    client = Client()
    for n in range(django_settings.LOGIN_ADDRESS_FAILURE_LIMIT):  # the address's own lock
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
    behind_the_proxy: None, settings: Settings, client: Client
) -> None:
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
    behind_the_proxy: None, settings: Settings, client: Client, marketing: Purpose
) -> None:
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


def test_a_client_that_bypasses_the_proxy_cannot_choose_its_address(
    behind_the_proxy: None,
) -> None:
    """Reaching gunicorn directly, a client sends the header a proxy would: the audit log
    records the socket's address all the same."""
    Client().post(
        "/login/",
        {"username": "nobody", "password": "wrong"},
        REMOTE_ADDR=CLIENT,
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )
    assert AuditEvent.objects.get(action="auth.login_failed").ip_address == CLIENT


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "()"), ("172.28.53.10, fd00:1::/64", "('172.28.53.10/32', 'fd00:1::/64')")],
)
def test_production_trusts_only_the_proxies_it_is_told_of(value: str | None, expected: str) -> None:
    env = production_env()
    env.pop("TRUSTED_PROXIES")
    if value is not None:
        env["TRUSTED_PROXIES"] = value
    result = run_django(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(tuple(map(str, settings.TRUSTED_PROXIES)))",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


def test_check_deploy_warns_of_a_tls_proxy_nobody_trusts() -> None:
    env = production_env()
    env.pop("TRUSTED_PROXIES")
    result = run_django(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "privacyops.W001" in result.stdout + result.stderr


def test_the_compose_stack_publishes_the_proxy_only_and_web_trusts_its_address() -> None:
    root = Path(django_settings.BASE_DIR)
    stack = yaml.safe_load((root / "docker-compose.yml").read_text())
    services = stack["services"]
    assert [name for name, service in services.items() if "ports" in service] == ["proxy"]
    assert services["web"]["expose"] == ["8000"]
    proxy_address = services["proxy"]["networks"]["edge"]["ipv4_address"]
    assert services["web"]["environment"]["TRUSTED_PROXIES"] == proxy_address
    assert "edge" in services["web"]["networks"]
    subnet = stack["networks"]["edge"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(proxy_address) in ipaddress.ip_network(subnet)
    assert "reverse_proxy web:8000" in (root / "deploy" / "Caddyfile").read_text()
