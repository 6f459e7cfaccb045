"""The far end of a webhook: a real HTTP server on 127.0.0.1, in a thread, that checks each
message's signature the way a receiver would (`standardwebhooks.Webhook(secret).verify`).

It answers 200 to a message whose signature holds and 401 to one whose does not; a test can make
it answer with other statuses first (`fail(500, 500)`), or stop answering (`hang()`) until
`release()`. Shared by the tests and the benchmark.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int
    at: float  # time.monotonic() when it arrived
    payload: Any = None  # the verified JSON, when the signature held
    error: str = ""

    @property
    def message_id(self) -> str:
        return self.headers.get("webhook-id", "")


@dataclass
class Receiver:
    secret: str = ""  # set it to the endpoint's secret before anything is sent
    path: str = "/hooks/itsm"
    received: list[Received] = field(default_factory=list)
    tls: tuple[str, str] | None = None  # (certificate file, key file): answer over https

    def __post_init__(self) -> None:
        self._statuses: list[int] = []
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._released.set()
        self.arrived = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver._released.wait(60)
                status = receiver._answer(dict(self.headers.items()), body)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(b"ok" if status == 200 else b"no")
                except OSError:
                    pass  # the sender gave up waiting and closed the connection

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        if self.tls:
            return f"https://localhost:{self.server.server_address[1]}{self.path}"
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"

    def _answer(self, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            payload, error = None, ""
            try:
                payload = Webhook(self.secret).verify(body, headers)
            except (WebhookVerificationError, ValueError) as refused:
                error = str(refused)
            status = 401 if error else (self._statuses.pop(0) if self._statuses else 200)
            self.received.append(Received(headers={k.lower(): v for k, v in headers.items()}, body=body,
                                          status=status, at=time.monotonic(), payload=payload, error=error))
            self.arrived.notify_all()
            return status

    def fail(self, *statuses: int) -> None:
        """Answer the next messages with these statuses (each verified first), then 200 again."""
        with self._lock:
            self._statuses.extend(statuses)

    def hang(self) -> None:
        """Take messages in, and answer none of them until `release()`."""
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    @property
    def accepted(self) -> list[Received]:
        """The messages answered 200: signature verified, and accepted."""
        with self._lock:
            return [r for r in self.received if r.status == 200]

    def wait_for(self, count: int, seconds: float = 10) -> list[Received]:
        """Block until `count` messages were accepted (or time is up); returns them."""
        deadline = time.monotonic() + seconds
        with self._lock:
            while sum(r.status == 200 for r in self.received) < count and time.monotonic() < deadline:
                self.arrived.wait(max(0.0, deadline - time.monotonic()))
            return [r for r in self.received if r.status == 200]

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()


def loads(received: Received) -> Any:
    return json.loads(received.body)
