"""Sends queued platform deliveries (see storage.py) to the county government platform.

At least once, applied once: a delivery is retried until the platform answers 2xx, and a retry
carries the same Idempotency-Key, which the platform applies once. So an attempt whose answer
was lost (a timeout, a deliverer killed mid-request) is simply sent again.

Each attempt is claimed before it is sent: its number and a fallback retry time are committed
first, so an attempt whose deliverer dies stays visible (with no outcome) and the delivery is
tried again once that time passes. Only the holder of the 'platform' lease (the relay's fenced
lease, servicekit.relay.Lease) claims attempts, so replicas do not send the same delivery side by
side; the claim itself is conditioned on the lease generation, so one that outlived its lease
claims nothing.
"""
from __future__ import annotations

import http.client
import logging
import os
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from prometheus_client import Counter, Gauge

from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.relay import LEASE_TTL, Lease
from services.dispatch.platform import storage, webhook
from services.dispatch.platform.config import PlatformSettings

log = logging.getLogger(__name__)

LEASE_NAME = "platform"
_BATCH = 50
_MAX_PAUSE_S = 5.0
_ANSWER_EXCERPT_CHARS = 200

attempts_made = Counter(
    "lianyi_platform_attempts_total",
    "Attempts to deliver to the county platform, by outcome (delivered, refused: 4xx, failed: other status, "
    "no_response: timeout or connection error)", ["outcome"],
)
pending_gauge = Gauge(
    "lianyi_platform_pending", "Deliveries to the county platform not yet delivered", multiprocess_mode="max",
)
oldest_pending_gauge = Gauge(
    "lianyi_platform_oldest_pending_seconds", "How long the oldest undelivered platform delivery has waited",
    multiprocess_mode="max",
)
deliverer_errors = Counter("lianyi_platform_deliverer_errors_total", "Failed passes of the platform deliverer")


@dataclass(frozen=True)
class Answer:
    """What one attempt got: the HTTP status (0 for none) and, unless 2xx, why it failed."""

    status: int
    error: str | None

    @property
    def outcome(self) -> str:
        if 200 <= self.status < 300:
            return "delivered"
        if self.status == 0:
            return "no_response"
        return "refused" if 400 <= self.status < 500 else "failed"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed attempt: following it would re-send a signed body to another URL
    (or, for 301-303, turn the POST into a GET without it)."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class PlatformDeliverer:
    def __init__(self, db: Database, settings: PlatformSettings, clock: Clock, holder: str | None = None,
                 rng: random.Random | None = None, batch: int = _BATCH):
        self.db, self.settings, self.clock, self.batch = db, settings, clock, batch
        self.rng = rng or random.Random()
        # The lease outlasts a few slow attempts: an attempt starts only with its timeout left.
        ttl = max(LEASE_TTL, timedelta(seconds=settings.timeout_s * 3))
        self.lease = Lease(db, holder or f"{socket.gethostname()}:{os.getpid()}", clock, name=LEASE_NAME, ttl=ttl)
        self._opener = urllib.request.build_opener(_NoRedirects())

    def run(self, stop: threading.Event) -> None:
        """Deliver until `stop` is set; retries with backoff when the database fails."""
        if self.settings.url is None:
            log.warning("no county platform URL is set (LIANYI_DISPATCH_PLATFORM_URL): escalations wait in "
                        "platform_deliveries until one is")
            stop.wait()
            return
        pause = 0.1
        try:
            while not stop.is_set():
                try:
                    made = self.deliver_due(stop)
                    pause = 0.1
                except Exception:
                    deliverer_errors.inc()
                    log.exception("platform deliverer failed; retrying in %.1fs", pause)
                    stop.wait(pause)
                    pause = min(pause * 2, _MAX_PAUSE_S)
                    continue
                if not made:
                    stop.wait(self.settings.poll_s)
        finally:
            try:
                self.lease.release()
            except Exception:
                log.warning("could not release the platform lease; it expires by itself")

    def deliver_due(self, stop: threading.Event | None = None) -> int:
        """Attempt every delivery due now (one per task, oldest first) if this deliverer holds the
        lease; how many attempts were made."""
        generation = self.lease.hold()
        with self.db.read() as conn:
            self._report_backlog(conn)
            due = storage.due(conn, self.clock.now(), self.batch) if generation is not None else []
        made = 0
        for delivery in due:
            if stop is not None and stop.is_set():
                break
            if generation is None or self.lease.hold() != generation:
                break  # lost: whoever holds it now sends the rest
            if not self.attempt(delivery, generation):
                break
            made += 1
        return made

    def attempt(self, delivery: storage.Delivery, generation: int) -> bool:
        """Claim, send and record one attempt; False if the lease no longer allows one."""
        url = self.settings.url
        assert url is not None
        now = self.clock.now()
        # If this attempt never reports back, the next may start once its timeout is surely over.
        fallback = now + timedelta(seconds=self.settings.timeout_s) + webhook.backoff(delivery.attempts + 1, self.rng)
        with self.db.write() as tx:
            left = self.lease.time_left(tx.conn, generation)
            if left is None or left.total_seconds() < self.settings.timeout_s:
                self.lease.forget()  # too little left to finish: ask the database again next pass
                return False
            number = storage.claim_attempt(tx.conn, delivery, now, fallback, self.lease.holds(generation))
        if number is None:
            return True  # claimed meanwhile by someone else: theirs to report
        started = time.monotonic()
        answer = self.send(url, delivery, number, now)
        duration_ms = int((time.monotonic() - started) * 1000)
        attempts_made.labels(answer.outcome).inc()
        finished = self.clock.now()
        delivered = answer.outcome == "delivered"
        if not delivered:
            log.info("platform delivery %s attempt %d: %s", delivery.delivery_id, number, answer.error)
        with self.db.write() as tx:
            storage.record_outcome(tx.conn, delivery.delivery_id, number, status=answer.status, error=answer.error,
                                   duration_ms=duration_ms, delivered_at=finished if delivered else None,
                                   retry_at=finished + webhook.backoff(number, self.rng))
        return True

    def send(self, url: str, delivery: storage.Delivery, number: int, at: datetime) -> Answer:
        """POST one signed attempt; its answer, never an exception for what the platform did."""
        body = delivery.body.encode()
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json",
            webhook.SIGNATURE_HEADER: webhook.sign(self.settings.secret, int(at.timestamp()), body),
            webhook.EVENT_HEADER: delivery.event_type,
            webhook.IDEMPOTENCY_HEADER: delivery.delivery_id,
            webhook.ATTEMPT_HEADER: str(number),
        })
        try:
            with self._opener.open(request, timeout=self.settings.timeout_s) as response:
                response.read()
                return Answer(response.status, None)
        except urllib.error.HTTPError as exc:
            with exc:
                excerpt = _excerpt(exc)
            return Answer(exc.code, f"HTTP {exc.code}: {excerpt}" if excerpt else f"HTTP {exc.code}")
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            if isinstance(reason, TimeoutError):
                return Answer(0, f"no answer within {self.settings.timeout_s:g}s")
            return Answer(0, f"no response: {reason!s:.300}" if str(reason) else f"no response: {type(reason).__name__}")

    def _report_backlog(self, conn: sa.Connection) -> None:
        count, oldest = storage.backlog(conn)
        pending_gauge.set(count)
        oldest_pending_gauge.set(0 if oldest is None else max((self.clock.now() - oldest).total_seconds(), 0))


def _excerpt(error: urllib.error.HTTPError) -> str:
    try:
        text = error.read(_ANSWER_EXCERPT_CHARS).decode("utf-8", "replace")
    except OSError:
        return ""
    return " ".join(text.split())
