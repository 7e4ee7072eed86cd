"""Outbox relay: publishes committed outbox rows to Kafka in order, then marks them published.

At-least-once: a crash between publishing and marking republishes, and consumers' inboxes
drop the repeat. Only the holder of the relay lease publishes, so several replicas of a
service never interleave one neighbourhood's events.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import sqlalchemy as sa

from servicekit import kafka, metrics
from servicekit.clock import Clock
from servicekit.config import RuntimeSettings
from servicekit.database import Database
from servicekit.messaging_schema import outbox, relay_lease
from servicekit.outbox import Outbox, backlog

log = logging.getLogger(__name__)

LEASE_TTL = timedelta(seconds=15)
_MAX_BACKOFF_S = 5.0


class Lease:
    """A row-based lease (works on SQLite and PostgreSQL alike): one holder at a time."""

    def __init__(self, db: Database, holder: str, clock: Clock, name: str = "outbox"):
        self.db, self.holder, self.clock, self.name = db, holder, clock, name
        self._held_until = None

    def hold(self) -> bool:
        """Take or renew the lease; False while another holder's lease is live."""
        now = self.clock.now()
        if self._held_until and now < self._held_until - LEASE_TTL / 2:
            return True
        table = relay_lease
        with self.db.write() as tx:
            taken = tx.conn.execute(
                table.update()
                .where(table.c.name == self.name)
                .where(
                    sa.or_(table.c.holder == self.holder, table.c.holder.is_(None), table.c.expires_at < now)
                )
                .values(holder=self.holder, expires_at=now + LEASE_TTL)
            ).rowcount
        self._held_until = now + LEASE_TTL if taken else None
        return bool(taken)

    def release(self) -> None:
        table = relay_lease
        with self.db.write() as tx:
            tx.conn.execute(
                table.update()
                .where(table.c.name == self.name, table.c.holder == self.holder)
                .values(holder=None, expires_at=None)
            )
        self._held_until = None


class OutboxRelay:
    def __init__(self, db: Database, box: Outbox, settings: RuntimeSettings, clock: Clock, holder: str):
        self.db, self.box, self.settings, self.clock = db, box, settings, clock
        self.lease = Lease(db, holder, clock)
        self.holder = holder
        self._last_backlog_check = 0.0

    def run(self, stop: threading.Event) -> None:
        """Publish until `stop` is set; retries with backoff when the broker or database fails."""
        producer = None
        backoff = 0.1
        try:
            while not stop.is_set():
                self.box.committed.clear()
                try:
                    producer = producer or kafka.producer(self.settings, client_id=f"relay-{self.holder}")
                    published = self.publish_once(producer)
                    backoff = 0.1
                except Exception:
                    metrics.relay_errors.inc()
                    log.exception("outbox relay failed; retrying in %.1fs", backoff)
                    stop.wait(backoff)
                    backoff = min(backoff * 2, _MAX_BACKOFF_S)
                    continue
                if published:
                    stop.wait(self.settings.relay_linger_s)  # let load gather into larger batches
                else:
                    self.box.committed.wait(self.settings.relay_idle_poll_s)
        finally:
            if producer is not None:
                producer.close(timeout=5)
            try:
                self.lease.release()
            except Exception:
                log.warning("could not release the relay lease; it expires by itself")

    def publish_once(self, producer) -> int:
        """Publish one batch of pending events; returns how many were published."""
        if not self.lease.hold():
            return 0
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(outbox.c.id, outbox.c.event_id, outbox.c.event_type, outbox.c.topic,
                          outbox.c.message_key, outbox.c.payload)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.id)
                .limit(self.settings.relay_batch_size)
            ).all()
            self._observe_backlog(conn, len(rows))
        if not rows:
            return 0
        futures = [
            producer.send(
                row.topic,
                key=row.message_key.encode(),
                value=row.payload,
                headers=[("event_id", row.event_id.encode()), ("event_type", row.event_type.encode())],
            )
            for row in rows
        ]
        producer.flush(timeout=30)
        for future in futures:
            future.get(timeout=30)  # raises if the broker refused any of them
        with self.db.write() as tx:
            tx.conn.execute(
                outbox.update()
                .where(outbox.c.id.in_([row.id for row in rows]))
                .values(published_at=self.clock.now())
            )
        for row in rows:
            metrics.events_published.labels(row.topic).inc()
        return len(rows)

    def _observe_backlog(self, conn, batch: int) -> None:
        # Counting is cheap with the partial index, but once a second is plenty for a gauge.
        if batch < self.settings.relay_batch_size:
            metrics.outbox_backlog.set(batch)
        elif time.monotonic() - self._last_backlog_check > 1:
            metrics.outbox_backlog.set(backlog(conn))
            self._last_backlog_check = time.monotonic()
