"""Each service process's own HTTP port: /healthz (alive), /readyz (can serve), /metrics."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], None]  # raises when not ready


class HealthServer:
    def __init__(self, address: str, checks: dict[str, ReadinessCheck], registry: CollectorRegistry = REGISTRY):
        """`registry`: what /metrics serves; the process's own by default (the gateway's master
        serves its workers' sum)."""
        host, port = address.rsplit(":", 1)
        self.checks = checks
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/healthz":
                    self._send(200, b"ok\n", "text/plain")
                elif self.path == "/readyz":
                    failures = outer.failing_checks()
                    body = ("ready\n" if not failures else "".join(f"{n}: {e}\n" for n, e in failures)).encode()
                    self._send(200 if not failures else 503, body, "text/plain")
                elif self.path == "/metrics":
                    self._send(200, generate_latest(registry), CONTENT_TYPE_LATEST)
                else:
                    self._send(404, b"not found\n", "text/plain")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # probes every few seconds would drown the log

        self.httpd = ThreadingHTTPServer((host, int(port)), Handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="health-http", daemon=True)

    def failing_checks(self) -> list[tuple[str, str]]:
        failures = []
        for name, check in self.checks.items():
            try:
                check()
            except Exception as exc:  # any failure means "not ready", with the reason shown
                failures.append((name, f"{type(exc).__name__}: {exc}"[:200]))
        return failures

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
