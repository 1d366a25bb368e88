"""core.webhooks: calls signed per Standard Webhooks and verified by its library, callbacks
verified by the same standard, calls to a real local HTTP server, callback tokens."""

from __future__ import annotations

import base64
import datetime as dt
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import standardwebhooks
import time_machine
from django.core import signing
from django.test import override_settings

from core import outbound, webhooks
from core.webhooks import (
    callback_token,
    generate_secret,
    post_json,
    read_callback_token,
    signature_headers,
    signing_key,
    verify,
)
from tests.webhook_server import LocalServer, serve

NOW = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)  # Unix time 1 700 000 000
BODY = b'{"a":1}'
# The example of the Standard Webhooks specification (and of its libraries' tests).
STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
STANDARD_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
STANDARD_BODY = b'{"test": 2432232314}'
STANDARD_SENT_AT = dt.datetime.fromtimestamp(1614265330, tz=dt.UTC)
STANDARD_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
# The callbacks' secret, and what a system's own Standard Webhooks library sends.
SECRET = STANDARD_SECRET
SIGNED = standardwebhooks.Webhook(SECRET).sign("msg_1", NOW, BODY)


# --- calls out: Standard Webhooks ------------------------------------------------------------


def test_a_call_is_signed_as_the_specifications_example() -> None:
    assert signature_headers(
        secret=STANDARD_SECRET, message_id=STANDARD_ID, sent_at=STANDARD_SENT_AT, body=STANDARD_BODY
    ) == {
        "webhook-id": STANDARD_ID,
        "webhook-timestamp": "1614265330",
        "webhook-signature": STANDARD_SIGNATURE,
    }


def test_a_new_secret_is_spelt_as_the_specification_spells_it() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert len(signing_key(secret)) == 32
    assert generate_secret() != secret


def test_a_secret_issued_before_signs_with_the_same_32_bytes_in_the_standard_spelling() -> None:
    """Secrets issued before were URL-safe base64 text without a prefix: the same bytes, so a
    receiver verifies with `whsec_` and their standard base64."""
    issued_before = "E3q_lPVv-9mYw8Qk0ZrX1n2cA4sT6uH7jK8LmNoPqRs"
    key = base64.urlsafe_b64decode(issued_before + "=")
    assert signing_key(issued_before) == key
    headers = signature_headers(secret=issued_before, message_id="m", sent_at=NOW, body=BODY)
    receiver = standardwebhooks.Webhook("whsec_" + base64.b64encode(key).decode())
    with time_machine.travel(NOW, tick=False):
        assert receiver.verify(BODY, headers) == {"a": 1}


@pytest.mark.parametrize("secret", ["", "whsec_not base64!", "a"])
def test_a_secret_that_is_empty_or_not_base64_signs_nothing(secret: str) -> None:
    with pytest.raises(ValueError, match=r"empty|base64"):
        signature_headers(secret=secret, message_id="m", sent_at=NOW, body=BODY)


def test_a_call_without_a_message_id_is_not_signed() -> None:
    with pytest.raises(ValueError, match="message id"):
        signature_headers(secret=STANDARD_SECRET, message_id="", sent_at=NOW, body=BODY)


# --- callbacks in: Standard Webhooks, against the portal's clock -------------------------------


def test_a_systems_library_signs_what_the_portal_verifies() -> None:
    """The specification's own example, signed by its reference library, verifies here."""
    headers = {
        "webhook-id": STANDARD_ID,
        "webhook-timestamp": "1614265330",
        "webhook-signature": STANDARD_SIGNATURE,
    }
    assert verify(
        secrets=[STANDARD_SECRET], headers=headers, body=STANDARD_BODY, now=STANDARD_SENT_AT
    )


@dataclass(frozen=True)
class Check:
    """One call of `verify`, correct unless a test changes a part."""

    secrets: tuple[str, ...] = (SECRET,)
    message_id: str = "msg_1"
    timestamp: str = "1700000000"
    signature: str = SIGNED
    body: bytes = BODY
    now: dt.datetime = NOW
    tolerance: dt.timedelta = webhooks.DEFAULT_TOLERANCE

    def passes(self) -> bool:
        headers = {
            "Webhook-Id": self.message_id,  # as a framework may capitalise them
            "Webhook-Timestamp": self.timestamp,
            "Webhook-Signature": self.signature,
        }
        return verify(
            secrets=self.secrets,
            headers=headers,
            body=self.body,
            now=self.now,
            tolerance=self.tolerance,
        )


def test_a_correct_signature_verifies() -> None:
    assert Check().passes()


ANOTHER_SECRET = "whsec_" + base64.b64encode(b"x" * 32).decode()


@pytest.mark.parametrize(
    "check",
    [
        pytest.param(Check(body=b'{"a":2}'), id="other body"),
        pytest.param(Check(body=BODY + b" "), id="body with a space more"),
        pytest.param(Check(timestamp="1700000001"), id="other timestamp"),
        pytest.param(Check(message_id="msg_2"), id="other message id"),
        pytest.param(Check(message_id=""), id="no message id"),
        pytest.param(Check(signature=SIGNED[:-2] + "A="), id="one character changed"),
        pytest.param(Check(signature=SIGNED.removeprefix("v1,")), id="no version"),
        pytest.param(Check(signature="v0," + SIGNED.removeprefix("v1,")), id="unknown version"),
        pytest.param(Check(signature="v1,é"), id="non-ascii"),
        pytest.param(Check(signature=""), id="no signature"),
        pytest.param(Check(secrets=(ANOTHER_SECRET,)), id="wrong secret"),
        pytest.param(Check(secrets=("not base64!",)), id="not a secret"),
        pytest.param(Check(secrets=()), id="no secrets"),
        pytest.param(Check(secrets=("",)), id="empty secret"),
    ],
)
def test_anything_tampered_with_does_not_verify(check: Check) -> None:
    assert not check.passes()


@pytest.mark.parametrize("timestamp", ["", "abc", "-1700000000", "+1700000000", "1_700_000_000"])
def test_a_timestamp_that_is_not_plain_digits_does_not_verify(timestamp: str) -> None:
    assert not Check(timestamp=timestamp).passes()


def test_stale_and_future_timestamps_are_refused_at_the_tolerance() -> None:
    five_minutes = dt.timedelta(seconds=300)
    second = dt.timedelta(seconds=1)
    assert Check(now=NOW + five_minutes).passes()
    assert not Check(now=NOW + five_minutes + second).passes()
    assert Check(now=NOW - five_minutes).passes()
    assert not Check(now=NOW - five_minutes - second).passes()
    assert not Check(now=NOW + dt.timedelta(minutes=2), tolerance=dt.timedelta(minutes=1)).passes()


def test_any_of_several_secrets_verifies_for_a_rotation() -> None:
    assert Check(secrets=(ANOTHER_SECRET, SECRET)).passes()
    other = standardwebhooks.Webhook(ANOTHER_SECRET).sign("msg_1", NOW, BODY)
    assert Check(signature=f"{other} {SIGNED}").passes()  # several, space-separated


@pytest.fixture
def server() -> Iterator[LocalServer]:
    yield from serve(LocalServer(url=""))


def test_the_server_receives_the_payload_signed_so_that_its_library_verifies(
    server: LocalServer,
) -> None:
    payload = {"event": "erasure.requested", "task": 7, "categories": ["contact", "usage"]}
    with time_machine.travel(NOW, tick=False):
        result = post_json(
            url=f"{server.url}/ok",
            payload=payload,
            secret=STANDARD_SECRET,
            message_id="task-7",
            timeout=5,
        )
    assert result == webhooks.WebhookResult(status_code=200, ok=True, error="")
    (call,) = server.received
    assert call.body == b'{"categories":["contact","usage"],"event":"erasure.requested","task":7}'
    assert call.headers["Content-Type"] == "application/json"
    receiver = standardwebhooks.Webhook(STANDARD_SECRET)
    with time_machine.travel(NOW + dt.timedelta(minutes=4), tick=False):
        assert receiver.verify(call.body, call.headers) == payload
    headers = {name.lower(): value for name, value in call.headers.items()}
    assert (headers["webhook-id"], headers["webhook-timestamp"]) == ("task-7", "1700000000")


def test_the_receivers_library_refuses_a_tampered_call_an_old_one_and_another_secret(
    server: LocalServer,
) -> None:
    with time_machine.travel(NOW, tick=False):
        post_json(
            url=f"{server.url}/ok", payload={"a": 1}, secret=STANDARD_SECRET, message_id="m-1"
        )
    (call,) = server.received
    receiver = standardwebhooks.Webhook(STANDARD_SECRET)
    refused = standardwebhooks.WebhookVerificationError
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(refused, match="No matching signature"):
            receiver.verify(call.body.replace(b"1", b"2"), call.headers)
        with pytest.raises(refused, match="No matching signature"):
            receiver.verify(call.body, call.headers | {"webhook-id": "m-2"})
        with pytest.raises(refused, match="No matching signature"):
            standardwebhooks.Webhook(generate_secret()).verify(call.body, call.headers)
    # Five minutes is the receiver's tolerance: a replay a second later is refused.
    later = NOW + dt.timedelta(minutes=5, seconds=1)
    with time_machine.travel(later, tick=False), pytest.raises(refused, match="too old"):
        receiver.verify(call.body, call.headers)


def test_any_2xx_is_ok(server: LocalServer) -> None:
    result = post_json(
        url=f"{server.url}/accepted", payload={}, secret=STANDARD_SECRET, message_id="m", timeout=5
    )
    assert (result.status_code, result.ok) == (202, True)


def test_a_500_is_reported_as_not_ok(server: LocalServer) -> None:
    result = post_json(
        url=f"{server.url}/error", payload={}, secret=STANDARD_SECRET, message_id="m", timeout=5
    )
    assert result == webhooks.WebhookResult(status_code=500, ok=False, error="HTTP 500")


def test_a_redirect_is_not_followed_and_not_ok(server: LocalServer) -> None:
    result = post_json(
        url=f"{server.url}/redirect", payload={}, secret=STANDARD_SECRET, message_id="m", timeout=5
    )
    assert (result.status_code, result.ok) == (302, False)
    assert [call.path for call in server.received] == ["/redirect"]


def test_a_system_that_does_not_answer_in_time_is_a_timeout(server: LocalServer) -> None:
    started = time.monotonic()  # a duration: the monotonic clock, which tests do not freeze
    result = post_json(
        url=f"{server.url}/slow", payload={}, secret=STANDARD_SECRET, message_id="m", timeout=0.3
    )
    assert result.status_code is None
    assert not result.ok
    assert result.error.startswith("timed out")
    assert time.monotonic() - started < 3


@override_settings(WEBHOOK_TIMEOUT_SECONDS=1)
def test_the_timeout_defaults_to_the_setting(server: LocalServer) -> None:
    started = time.monotonic()
    result = post_json(url=f"{server.url}/slow", payload={}, secret=STANDARD_SECRET, message_id="m")
    assert result.error.startswith("timed out")
    assert 0.9 < time.monotonic() - started < 4


def test_a_refused_connection_is_reported_not_raised() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = post_json(
        url=f"http://127.0.0.1:{port}/",
        payload={},
        secret=STANDARD_SECRET,
        message_id="m",
        timeout=2,
    )
    assert result.status_code is None
    assert not result.ok
    assert result.error.startswith("ConnectError")


def test_a_certificate_the_system_trusts_nobody_for_is_refused(tmp_path: Path) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_self_signed_certificate(tmp_path))
    state = LocalServer(url="")
    for running in serve(state, context):
        result = post_json(
            url=f"{running.url}/ok", payload={}, secret=STANDARD_SECRET, message_id="m", timeout=5
        )
        assert result.status_code is None
        assert not result.ok
        assert "CERTIFICATE_VERIFY_FAILED" in result.error
        assert running.received == []


def test_nothing_is_sent_without_a_secret(server: LocalServer) -> None:
    with pytest.raises(ValueError, match="empty"):
        post_json(url=f"{server.url}/ok", payload={}, secret="", message_id="m", timeout=5)
    assert server.received == []


def _self_signed_certificate(directory: Path) -> tuple[str, str]:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    # Valid on any day the machine's clock may show (OpenSSL reads it, not the tests' frozen
    # clock), so the only fault is that nobody vouches for the certificate.
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


# --- callback tokens -------------------------------------------------------------------------


def test_a_callback_token_gives_back_its_object_and_nonce() -> None:
    token = callback_token(purpose="task.complete", object_id=42, nonce="n-1")
    day = dt.timedelta(days=1)
    assert read_callback_token(token, purpose="task.complete", max_age=day) == (42, "n-1")


def test_a_tampered_token_is_refused() -> None:
    token = callback_token(purpose="task.complete", object_id=42, nonce="n-1")
    other = callback_token(purpose="task.complete", object_id=43, nonce="n-1")
    forged = other.split(":")[0] + ":" + token.split(":", 1)[1]
    for bad in (forged, token[:-1] + ("A" if token[-1] != "A" else "B"), "garbage", ""):
        with pytest.raises(signing.BadSignature):
            read_callback_token(bad, purpose="task.complete", max_age=dt.timedelta(days=1))


def test_a_token_for_one_purpose_opens_no_other() -> None:
    token = callback_token(purpose="task.complete", object_id=42, nonce="n-1")
    with pytest.raises(signing.BadSignature):
        read_callback_token(token, purpose="notice.complete", max_age=dt.timedelta(days=1))


def test_a_token_expires_after_max_age() -> None:
    with time_machine.travel(NOW, tick=False):
        token = callback_token(purpose="task.complete", object_id=42, nonce="n-1")
    with time_machine.travel(NOW + dt.timedelta(days=7), tick=False):
        assert read_callback_token(token, purpose="task.complete", max_age=dt.timedelta(days=7))
    with (
        time_machine.travel(NOW + dt.timedelta(days=7, seconds=1), tick=False),
        pytest.raises(signing.SignatureExpired),
    ):
        read_callback_token(token, purpose="task.complete", max_age=dt.timedelta(days=7))


def test_a_validly_signed_value_of_another_shape_is_refused() -> None:
    salt = "privacyops.callback.task.complete"
    for value in ({"id": 1}, [True, "n"], [1, ""], [1, 2], [1, "n", 3]):
        token = signing.dumps(value, salt=salt)
        with pytest.raises(signing.BadSignature):
            read_callback_token(token, purpose="task.complete", max_age=dt.timedelta(days=1))


def test_an_empty_nonce_or_purpose_makes_no_token() -> None:
    with pytest.raises(ValueError, match="nonce"):
        callback_token(purpose="task.complete", object_id=1, nonce="")
    with pytest.raises(ValueError, match="purpose"):
        callback_token(purpose="", object_id=1, nonce="n")


def test_new_secrets_and_nonces_are_long_and_different() -> None:
    assert len(webhooks.generate_secret()) >= 43
    assert webhooks.generate_secret() != webhooks.generate_secret()
    assert len(webhooks.new_nonce()) >= 22
    assert webhooks.new_nonce() != webhooks.new_nonce()


# --- where a call may go (core.outbound) ---------------------------------------------------


def resolving(monkeypatch: pytest.MonkeyPatch, names: dict[str, list[str]]) -> list[str]:
    """Make each of `names` resolve to its addresses, one lookup after the other (the last
    one repeated); other names as before. Returns the names looked up."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(str(host))
        if host in names:
            answers = names[host]
            return real(answers.pop(0) if len(answers) > 1 else answers[0], port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


@override_settings(WEBHOOK_ALLOW_LOCAL_HTTP=False)
@pytest.mark.parametrize("address", ["169.254.169.254", "127.0.0.1", "::1", "0.0.0.0"])  # noqa: S104
def test_a_name_resolving_to_a_refused_address_is_not_called(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    """A system's address passed the register's check by name; today the name resolves to the
    cloud's metadata service or the portal's own host: nothing is sent."""
    resolving(monkeypatch, {"crm.example": [address]})
    port = server.url.rsplit(":", 1)[1]
    result = post_json(
        url=f"https://crm.example:{port}/ok",
        payload={},
        secret=STANDARD_SECRET,
        message_id="m",
        timeout=2,
    )
    assert result == webhooks.WebhookResult(
        status_code=None,
        ok=False,
        error=f"refused: crm.example resolves to {address}, not a public address "
        "(nor in OUTBOUND_ALLOWED_NETWORKS).",
    )
    assert server.received == []


def test_the_call_goes_to_the_address_checked_with_the_name_as_host(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resolved once, checked, connected to: "crm.test" exists only in this test's resolver,
    which answers the test server's address once and an unreachable one after (as a name
    rebound between the check and the call would); the server sees the name as Host."""
    port = server.url.rsplit(":", 1)[1]
    asked = resolving(monkeypatch, {"crm.test": ["127.0.0.1", "192.0.2.1"]})
    result = post_json(
        url=f"http://crm.test:{port}/ok",
        payload={},
        secret=STANDARD_SECRET,
        message_id="m",
        timeout=5,
    )
    assert result.ok
    (call,) = server.received
    assert call.headers["Host"] == f"crm.test:{port}"
    assert asked.count("crm.test") == 1


def test_a_name_that_does_not_resolve_is_reported_not_raised() -> None:
    result = post_json(
        url="https://nowhere.invalid/hook",
        payload={},
        secret=STANDARD_SECRET,
        message_id="m",
        timeout=2,
    )
    assert (result.status_code, result.ok) == (None, False)
    assert result.error.startswith("refused: nowhere.invalid does not resolve")


@override_settings(WEBHOOK_ALLOW_LOCAL_HTTP=False)
@pytest.mark.parametrize(
    ("host", "refused"),
    [
        ("localhost", "127.0.0.1"),
        ("api.localhost", "127.0.0.1"),
        ("127.0.0.2", "127.0.0.2"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("169.254.169.254", "169.254.169.254"),
        ("fe80::1", "fe80::1"),
        ("0.0.0.0", "0.0.0.0"),  # noqa: S104
        ("224.0.0.1", "224.0.0.1"),
        ("10.1.2.3", "10.1.2.3"),  # an on-premise system only on an allowed network
        ("93.184.216.34", None),
        ("crm.example", None),  # a name is checked by each call, on what it resolves to
    ],
)
def test_which_typed_hosts_the_register_refuses(host: str, refused: str | None) -> None:
    address = outbound.typed_address_refusal(host)
    assert (str(address) if address else None) == refused


def test_an_https_target_keeps_the_name_for_the_certificate_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolving(monkeypatch, {"crm.test": ["127.0.0.1"], "v6.test": ["::1"]})
    assert outbound.pinned_target("https://crm.test:8443/hook?x=1") == outbound.Target(
        url="https://127.0.0.1:8443/hook?x=1", host_header="crm.test:8443", server_name="crm.test"
    )
    assert outbound.pinned_target("http://v6.test/hook") == outbound.Target(
        url="http://[::1]/hook", host_header="v6.test", server_name=None
    )
