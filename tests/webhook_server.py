"""A real HTTP server on 127.0.0.1 for webhook tests: it records what it receives and answers
by path (/ok 200, /accepted 202, /error 500, /slow waits, /redirect 302, else 404); and the
headers a system signs its completion call with."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import standardwebhooks

from core.webhooks import signing_key


def callback_headers(
    *, secret: str, timestamp: int, body: bytes, message_id: str = "msg_callback"
) -> dict[str, str]:
    """What a system sends with its completion call: signed by the Standard Webhooks
    library with its secret, as the system's own code would."""
    sent_at = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)
    signature = standardwebhooks.Webhook(signing_key(secret)).sign(message_id, sent_at, body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


# --- a real HTTP server ----------------------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    path: str


@dataclass
class LocalServer:
    url: str
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def _handler(server_state: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            server_state.received.append(Received(dict(self.headers.items()), body, self.path))
            if self.path == "/slow":
                server_state.release.wait(5)
            if self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", "/ok")
                self.end_headers()
                return
            status = {"/ok": 200, "/accepted": 202, "/error": 500, "/slow": 200}.get(self.path, 404)
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"answer")

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def serve(state: LocalServer, context: ssl.SSLContext | None = None) -> Iterator[LocalServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    if context is not None:
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    scheme = "https" if context is not None else "http"
    state.url = f"{scheme}://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
