"""A county platform for tests: a real HTTP server on 127.0.0.1 that verifies each webhook's
signature and timestamp with the shared secret (401 if forged or stale), applies each
Idempotency-Key once (a repeat is answered 200 and changes nothing), and can be told to fail,
to answer slowly, or to hold a request open."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from services.dispatch.platform import webhook


@dataclass
class Request:
    key: str
    attempt: int
    event_type: str
    status: int


@dataclass
class Platform:
    secret: bytes
    now: Callable[[], datetime]
    # Answer 503 (applying nothing) while this says so.
    failing: Callable[[], bool] = lambda: False
    # Seconds to wait after applying, before answering, for the first request with each key.
    slow_s: float = 0.0
    # Hold the first request open (after applying it) until `release` is set.
    hold_first: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)
    applied: list[str] = field(default_factory=list)  # keys in the order applied, each once
    bodies: dict[str, dict] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/lianyi/webhook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Platform:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def seen(self, key: str) -> list[Request]:
        with self._lock:
            return [request for request in self.requests if request.key == key]

    def _answer(self, headers, body: bytes) -> tuple[int, str]:
        key = headers.get(webhook.IDEMPOTENCY_HEADER, "")
        try:
            webhook.verify(self.secret, headers.get(webhook.SIGNATURE_HEADER, ""), body,
                           now=int(self.now().timestamp()))
        except webhook.SignatureRefused as refused:
            with self._lock:
                self.refusals.append(str(refused))
            return 401, str(refused)
        if self.failing():
            return 503, "the platform is down for maintenance"
        with self._lock:
            first = key not in self.bodies
            if first:
                self.bodies[key] = json.loads(body)
                self.applied.append(key)
            hold = first and self.hold_first and not self.holding.is_set()
            if hold:
                self.holding.set()
        if hold:
            self.release.wait(120)
        elif first and self.slow_s:
            time.sleep(self.slow_s)
        return 200, "applied" if first else "already applied"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, text = platform._answer(self.headers, body)
                with platform._lock:
                    platform.requests.append(Request(
                        self.headers.get(webhook.IDEMPOTENCY_HEADER, ""),
                        int(self.headers.get(webhook.ATTEMPT_HEADER, "0")),
                        self.headers.get(webhook.EVENT_HEADER, ""), status))
                payload = text.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the sender gave up waiting (timed out, or was killed)

            def log_message(self, *args: object) -> None:
                pass

        return Handler
