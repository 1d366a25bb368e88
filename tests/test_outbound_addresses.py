"""Where the portal may call: internal networks and the clouds' metadata services are refused by
the register and by every call, in every spelling the connection reads, unless the operator
allows an on-premise network. No test here touches the network: names resolve through a stub of
`socket.getaddrinfo`, and the transport that would connect records what it was asked instead."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured, ValidationError
from pytest_django import Settings

from core import outbound
from core.webhooks import post_json
from privacyops.environment import read_networks
from processing.models import Connector, DataCategory, System
from subject_requests import services
from subject_requests.models import SystemTask
from subject_requests.services import erasure, systems
from subjects.models import SubjectKind
from tests import factories as f
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

SECRET = "whsec_czNjcmV0LWZvci10ZXN0cy1vbmx5LTAxMjM0NTY3ODk="
PUBLIC = "93.184.216.34"

# The probe's findings: private, shared (100.64.0.0/10: Alibaba's metadata service) and
# unique-local (fc00::/7: AWS's IPv6 metadata service) addresses ...
INTERNAL = ["10.0.0.5", "172.17.0.1", "192.168.1.1", "100.100.100.200", "fd00:ec2::254", "fc00::1"]
# ... and numeric spellings of loopback, "this host" and the metadata service 169.254.169.254
# that getaddrinfo (so the connection) reads as addresses.
ALIASES = ["2130706433", "0x7f000001", "127.1", "0", "2852039166", "0177.0.0.1"]
# An IPv4 address carried in IPv6 reaches that IPv4 address.
CARRIED = ["::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a00:1::1"]
OTHERS = ["127.0.0.1", "::1", "169.254.169.254", "fe80::1", "224.0.0.1", "fec0::1", "::a00:1"]
REFUSED = INTERNAL + ALIASES + CARRIED + OTHERS


def in_url(address: str) -> str:
    return f"[{address}]" if ":" in address else address


@pytest.fixture(autouse=True)
def production(settings: Settings) -> None:
    """The suite lets webhooks reach a local test server; production does not."""
    settings.WEBHOOK_ALLOW_LOCAL_HTTP = False


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names resolve to what the test puts here, one answer per lookup (the last repeated);
    a lookup of any other name fails the test, so nothing reaches a real DNS server."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        flags = kwargs.get("flags", 0)
        if host in answers:
            found = answers[host]
            return real(found.pop(0) if len(found) > 1 else found[0], port, *args, **kwargs)
        if flags & socket.AI_NUMERICHOST:
            return real(host, port, *args, **kwargs)
        try:
            return real(host, port, *args, **{**kwargs, "flags": flags | socket.AI_NUMERICHOST})
        except socket.gaierror:
            raise AssertionError(f"{host} was looked up in DNS") from None

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def transport(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    """Every request httpx would send, answered 204 without a connection."""
    sent: list[httpx.Request] = []

    def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204, request=request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle_request)
    return sent


def problems_of(url: str, owner: User) -> list[str]:
    system = f.SystemFactory.build(owner=owner, connector=Connector.WEBHOOK, webhook_url=url)
    try:
        system.full_clean()
    except ValidationError as exc:
        return exc.message_dict.get("webhook_url", [])
    return []


def call(url: str) -> str:
    result = post_json(url=url, payload={"task": 1}, secret=SECRET, message_id="m", timeout=2)
    return "" if result.ok else result.error


# --- the register -----------------------------------------------------------------------------


@pytest.mark.parametrize("address", REFUSED)
def test_the_register_refuses_an_internal_address_in_any_spelling(
    staff: User, resolver: Any, address: str
) -> None:
    problems = problems_of(f"https://{in_url(address)}/hook", staff)
    # Django's URL validator also calls the forms without dots no valid URL.
    assert [p for p in problems if "an internal one" in p], problems


@pytest.mark.parametrize("address", INTERNAL + ALIASES)
def test_the_register_page_says_why_next_to_the_webhook_field(
    client_for: ClientFor, admin_user: User, resolver: Any, address: str
) -> None:
    contact = DataCategory.objects.get(code="contact")
    page = client_for(admin_user).post(
        "/processing/systems/new/",
        {
            "name": "Metadata",
            "kind": "internal",
            "owner": admin_user.pk,
            "categories": [contact.pk],
            "subject_kinds": ["client"],
            "connector": "webhook",
            "webhook_url": f"https://{in_url(address)}/latest/meta-data/",
        },
    )
    assert page.status_code == 200
    reached = socket.getaddrinfo(address, 0, flags=socket.AI_NUMERICHOST)[0][4][0]
    (message,) = [
        m
        for m in page.context["form"].errors["webhook_url"]
        if m.startswith(f"This address is {reached}, an internal one")
    ]
    assert "OUTBOUND_ALLOWED_NETWORKS" in message
    assert not System.objects.filter(name="Metadata").exists()


def test_the_register_accepts_a_public_address_and_a_name_without_looking_it_up(
    staff: User, resolver: Any
) -> None:
    assert problems_of(f"https://{PUBLIC}/hook", staff) == []
    assert problems_of("https://[2606:4700::6810:84e5]/hook", staff) == []
    # The name is checked by each call, on what it resolves to then (the resolver fixture
    # fails the test on a DNS lookup).
    assert problems_of("https://crm.example/hook", staff) == []


# --- the call ---------------------------------------------------------------------------------


@pytest.mark.parametrize("address", REFUSED)
def test_a_call_to_an_internal_address_is_not_made(
    resolver: Any, transport: list[httpx.Request], address: str
) -> None:
    error = call(f"https://{in_url(address)}/hook")
    assert error.startswith("refused: ") and "not a public address" in error
    assert transport == []


@pytest.mark.parametrize("address", REFUSED)
def test_a_name_resolving_to_an_internal_address_is_not_called(
    resolver: dict[str, list[str]], transport: list[httpx.Request], address: str
) -> None:
    resolver["crm.example"] = [address]
    assert call("https://crm.example/hook").startswith("refused: crm.example resolves to ")
    assert transport == []


def test_one_internal_address_among_public_ones_refuses_the_call(
    monkeypatch: pytest.MonkeyPatch, transport: list[httpx.Request]
) -> None:
    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    assert call("https://crm.example/hook").startswith("refused: crm.example resolves to 10.0.0.5")
    assert transport == []


def test_a_public_address_is_called_at_the_address_checked(
    resolver: dict[str, list[str]], transport: list[httpx.Request]
) -> None:
    """The resolver answers a public address, then (rebound) an internal one: the call goes
    to the address that was checked, with the name as Host and TLS server name."""
    resolver["crm.example"] = [PUBLIC, "10.0.0.5"]
    assert call("https://crm.example:8443/hook") == ""
    (request,) = transport
    assert (request.url.host, request.url.port) == (PUBLIC, 8443)
    assert request.headers["Host"] == "crm.example:8443"
    assert request.extensions["sni_hostname"] == "crm.example"


def test_a_system_task_to_an_internal_address_is_never_sent(
    seeded: None, dpo: User, resolver: Any, transport: list[httpx.Request]
) -> None:
    """A webhook saved before the register refused internal addresses: its task is refused at
    each attempt, and the reason is on the task."""
    System.objects.update(active=False)
    system = f.SystemFactory.create(
        connector="webhook", webhook_url="https://100.100.100.200/latest/meta-data/"
    )
    System.objects.filter(pk=system.pk).update(webhook_secret=SECRET)
    subject = f.DataSubjectFactory.create(kind=SubjectKind.CLIENT, work_email="kadri@acme.example")
    request = services.submit_request(
        type="erasure", name="Kadri Kask", email="kadri@acme.example", description="", language="en"
    )
    request = services.verify_manually(
        request=request, asked="a", shown="b", subject_email=str(subject.work_email), actor=dpo
    )
    erasure.propose_erasure(request=request, actor=dpo)
    erasure.confirm_erasure(request=request, actor=dpo)
    task = SystemTask.objects.get(system=system)
    systems.deliver(task_id=task.pk)
    task.refresh_from_db()
    assert task.last_error.startswith("refused: 100.100.100.200 resolves to 100.100.100.200")
    assert transport == []


# --- the operator's allow-list ----------------------------------------------------------------


@pytest.fixture
def on_premise(settings: Settings) -> None:
    settings.OUTBOUND_ALLOWED_NETWORKS = (
        ipaddress.ip_network("10.20.0.0/16"),
        ipaddress.ip_network("fd12:3456::/32"),
    )


def test_an_allowed_on_premise_network_is_registered_and_called(
    on_premise: None, staff: User, resolver: dict[str, list[str]], transport: list[httpx.Request]
) -> None:
    for host in ("10.20.1.5", "[fd12:3456::5]", "::ffff:10.20.1.5"):
        assert problems_of(f"https://{in_url(host.strip('[]'))}/hook", staff) == []
    resolver["crm.corp.example"] = ["10.20.1.5"]
    assert call("https://crm.corp.example/hook") == ""
    assert transport[0].url.host == "10.20.1.5"


@pytest.mark.parametrize("address", ["10.21.0.1", "169.254.169.254", "fd12:3457::1"])
def test_the_allow_list_admits_its_own_networks_only(
    on_premise: None, staff: User, resolver: Any, transport: list[httpx.Request], address: str
) -> None:
    assert problems_of(f"https://{in_url(address)}/hook", staff) != []
    assert call(f"https://{in_url(address)}/hook").startswith("refused: ")
    assert transport == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ()),
        ("10.20.0.0/16, fd12::/32,192.0.2.7", ("10.20.0.0/16", "fd12::/32", "192.0.2.7/32")),
    ],
)
def test_the_allow_list_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: tuple[str, ...]
) -> None:
    monkeypatch.setenv("OUTBOUND_ALLOWED_NETWORKS", raw)
    assert tuple(str(n) for n in read_networks("OUTBOUND_ALLOWED_NETWORKS")) == expected


@pytest.mark.parametrize("raw", ["10.20.0.1/16", "intranet", "10.0.0.0/33"])
def test_a_malformed_allow_list_stops_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("OUTBOUND_ALLOWED_NETWORKS", raw)
    with pytest.raises(ImproperlyConfigured, match="OUTBOUND_ALLOWED_NETWORKS"):
        read_networks("OUTBOUND_ALLOWED_NETWORKS")


def test_development_reaches_its_own_test_server_only(settings: Settings) -> None:
    def may_call(text: str) -> bool:
        return outbound.may_call(ipaddress.ip_address(text))

    settings.WEBHOOK_ALLOW_LOCAL_HTTP = True
    assert may_call("127.0.0.1") and may_call("::1") and may_call("::ffff:127.0.0.1")
    assert not may_call("10.0.0.5") and not may_call("169.254.169.254")
