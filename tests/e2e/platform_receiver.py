"""A stand-in for the county government platform's webhook receiver, for the end-to-end system:
it verifies each delivery as a real platform must (services/dispatch/platform/webhook.py: the
HMAC-SHA256 signature over the raw body, against the system's own clock), and applies each
Idempotency-Key once.

To show that a lost answer is simply sent again under the same key, it applies the first attempt
of every `LOSES_ANSWER_TO` delivery and then answers 503, as if the answer had been lost: the
retry must carry the same key (and attempt 2), and is answered 200 without being applied again."""
from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from services.dispatch.platform import webhook

LOSES_ANSWER_TO = "lianyi.dispatch.v1.DepartmentsWhistled"


@dataclass
class Received:
    """One delivery as the platform applied it, and every attempt that reached it."""

    event_type: str
    body: dict
    attempts: list[int] = field(default_factory=list)  # X-Lianyi-Delivery-Attempt of each
    applied: int = 0


class PlatformReceiver:
    def __init__(self) -> None:
        self.secret = secrets.token_urlsafe(32)
        self.now: Callable[[], int] = lambda: 0  # the system's clock, once it exists
        self.deliveries: dict[str, Received] = {}
        self.refused: list[str] = []  # why each refused request was refused
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, name="platform-receiver", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/lianyi/webhook"

    def start(self) -> PlatformReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def of_task(self, task_id: str) -> dict[str, Received]:
        with self._lock:
            return {key: received for key, received in self.deliveries.items()
                    if received.body.get("payload", {}).get("task_id") == task_id}

    def _receive(self, headers, raw: bytes) -> int:
        try:
            webhook.verify(self.secret.encode(), headers.get(webhook.SIGNATURE_HEADER, ""), raw, self.now())
        except webhook.SignatureRefused as refused:
            with self._lock:
                self.refused.append(str(refused))
            return 401
        key, attempt = headers.get(webhook.IDEMPOTENCY_HEADER, ""), int(headers.get(webhook.ATTEMPT_HEADER, "0"))
        body = json.loads(raw)
        with self._lock:
            received = self.deliveries.setdefault(key, Received(headers.get(webhook.EVENT_HEADER, ""), body))
            received.attempts.append(attempt)
            if received.applied:
                return 200  # applied before: a repeat changes nothing
            received.applied += 1
            if received.event_type == LOSES_ANSWER_TO and attempt == 1:
                return 503  # applied, but the sender does not hear so
            return 200

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver._receive(self.headers, raw)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:  # quiet: pytest shows failures, not every POST
                pass

        return Handler
