"""Outbox relay: publishes committed outbox rows to Kafka in order, then marks them published.

At-least-once: a crash between publishing and marking republishes, and consumers' inboxes
drop the repeat. Only the holder of the relay lease publishes, so several replicas of a
service do not interleave one neighbourhood's events (outbox ids follow each key's commit
order: see servicekit/outbox.py).

The lease is fenced: its generation grows each time it changes hands, and a relay
- sends a batch only after reading in the database (not in its own belief) that it still holds
  its generation with at least the margin (a third of the lease's 15 s) left, and gives the send
  no longer than the time left (no single send may block longer than the margin): if that runs
  out it stops waiting, marks nothing and gives the lease up;
- marks rows published only while its generation is the current one, in one UPDATE that locks
  the lease row, so a takeover and a mark cannot interleave.
So a relay that outlived its lease (paused, slow) neither starts a send nor marks rows after its
successor took over, and the successor publishes those rows.

What fencing cannot close, because the broker knows nothing of the lease: a relay paused between
its final check and its send for longer than the time it had left (at least the margin) sends
its batch when it wakes, possibly after its successor sent the same rows; and what a relay handed
to its producer before giving up may still reach the broker later (kafka-python cannot drop it:
`close(timeout=0)` flushes first). Those events are then published twice, each copy of a key's
events in order, and consumers' inboxes absorb the repeats. Expiry is judged by each replica's
own clock, so replicas' clocks must agree to well within the margin.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError

from servicekit import kafka, metrics
from servicekit.clock import Clock
from servicekit.config import RuntimeSettings
from servicekit.database import Database
from servicekit.messaging_schema import outbox, relay_lease
from servicekit.outbox import Outbox, backlog, oldest_pending

log = logging.getLogger(__name__)

LEASE_TTL = timedelta(seconds=15)
_BACKLOG_EVERY_S = 1.0  # how often the holder counts a full backlog
_BACKLOG_ELSEWHERE_EVERY_S = 5.0  # how often a replica without the lease counts it
_MAX_BACKOFF_S = 5.0


class LeaseRanOut(Exception):
    """A batch could not be sent within the time left on the relay lease."""


# Run for every batch the relay sends: built once, given parameters per call.
_HELD_BY = sa.and_(relay_lease.c.name == sa.bindparam("lease"), relay_lease.c.holder == sa.bindparam("holder"),
                   relay_lease.c.generation == sa.bindparam("generation"))
_EXPIRES_AT = sa.select(relay_lease.c.expires_at).where(_HELD_BY)
_PENDING = (
    sa.select(outbox.c.id, outbox.c.event_id, outbox.c.event_type, outbox.c.topic, outbox.c.message_key,
              outbox.c.payload, outbox.c.created_at)
    .where(outbox.c.published_at.is_(None)).order_by(outbox.c.id).limit(sa.bindparam("limit", type_=sa.Integer))
)
_MARK_PUBLISHED = (
    outbox.update()
    .where(outbox.c.id.in_(sa.bindparam("ids", expanding=True)),
           sa.select(relay_lease.c.name).where(_HELD_BY).with_for_update(read=True).exists())
    .values(published_at=sa.bindparam("at"))
)


class Lease:
    """A row-based lease (works on SQLite and PostgreSQL alike): one holder at a time, each
    holding a generation (fencing token) that grows whenever the lease changes hands."""

    def __init__(self, db: Database, holder: str, clock: Clock, name: str = "outbox", ttl: timedelta = LEASE_TTL):
        self.db, self.holder, self.clock, self.name, self.ttl = db, holder, clock, name, ttl
        self._generation: int | None = None
        self._held_until: datetime | None = None
        self._acquired: int | None = None  # the last generation taken (forget() keeps it: not a new take)
        # Series exist from the start at 0, so an alert sees the first take as an increase.
        metrics.lease_acquired.labels(name)
        metrics.lease_held.labels(name).set(0)

    def hold(self) -> int | None:
        """Take or renew the lease; the generation held, or None while another holder's lease is live."""
        now = self.clock.now()
        if self._generation is not None and self._held_until is not None and now < self._held_until - self.ttl / 2:
            return self._generation
        try:
            generation = self._take_or_renew(now)
        except Exception:
            # Unrenewable (the database out of reach): say so at once, rather than a former
            # holder reporting it holds a lease it can no longer keep.
            metrics.lease_held.labels(self.name).set(0)
            raise
        if generation is not None and generation != self._acquired:
            metrics.lease_acquired.labels(self.name).inc()
            self._acquired = generation
        metrics.lease_held.labels(self.name).set(0 if generation is None else 1)
        self._generation = generation
        self._held_until = now + self.ttl if generation is not None else None
        return generation

    def _take_or_renew(self, now: datetime) -> int | None:
        table = relay_lease
        with self.db.write() as tx:
            return tx.conn.execute(
                table.update()
                .where(table.c.name == self.name)
                .where(
                    sa.or_(table.c.holder == self.holder, table.c.holder.is_(None), table.c.expires_at < now)
                )
                .values(
                    holder=self.holder,
                    expires_at=now + self.ttl,
                    # A renewal keeps the generation; a new holder (or a new hold after a release)
                    # gets the next one, which fences off whoever held it before.
                    generation=sa.case((table.c.holder == self.holder, table.c.generation),
                                       else_=table.c.generation + 1),
                )
                .returning(table.c.generation)
            ).scalar_one_or_none()

    def time_left(self, conn: sa.Connection, generation: int) -> timedelta | None:
        """How long the database says this holder still holds `generation` (negative once it
        has expired); None if the lease has changed hands."""
        expires_at = conn.execute(_EXPIRES_AT, self._held(generation)).scalar_one_or_none()
        return None if expires_at is None else expires_at - self.clock.now()

    def _held(self, generation: int) -> dict[str, object]:
        return {"lease": self.name, "holder": self.holder, "generation": generation}

    def mark_published(self, conn: sa.Connection, ids: list[int], generation: int, at: datetime) -> int:
        """Mark outbox rows published if this holder still holds `generation`; how many were. The
        condition locks the lease row on PostgreSQL, so a takeover in flight is waited for and then
        seen."""
        marked: int = conn.execute(_MARK_PUBLISHED, {**self._held(generation), "ids": ids, "at": at}).rowcount
        return marked

    def holds(self, generation: int) -> sa.Exists:
        """A condition for a write that may happen only while this holder holds `generation`
        (fencing another kind of work than the outbox's). Like `mark_published`, it locks the
        lease row on PostgreSQL, so a takeover in flight is waited for and then seen."""
        return sa.select(relay_lease.c.name).where(
            relay_lease.c.name == self.name, relay_lease.c.holder == self.holder,
            relay_lease.c.generation == generation).with_for_update(read=True).exists()

    def forget(self) -> None:
        """Stop trusting the local belief: the next `hold` asks the database."""
        self._generation = self._held_until = None

    def release(self, generation: int | None = None) -> None:
        """Give the lease up (only `generation` of it, if given) so another holder need not wait."""
        table = relay_lease
        condition = [table.c.name == self.name, table.c.holder == self.holder]
        if generation is not None:
            condition.append(table.c.generation == generation)
        with self.db.write() as tx:
            tx.conn.execute(table.update().where(*condition).values(holder=None, expires_at=None))
        self.forget()
        metrics.lease_held.labels(self.name).set(0)


class OutboxRelay:
    def __init__(self, db: Database, box: Outbox, settings: RuntimeSettings, clock: Clock, holder: str,
                 lease_ttl: timedelta = LEASE_TTL):
        self.db, self.box, self.settings, self.clock = db, box, settings, clock
        self.lease = Lease(db, holder, clock, ttl=lease_ttl)
        # The least lease time left for a send to begin; renewal at half-life keeps more than this.
        self.send_margin = lease_ttl / 3
        self.holder = holder
        self._held = False
        self._last_backlog_count = float("-inf")

    def run(self, stop: threading.Event) -> None:
        """Publish until `stop` is set; retries with backoff when the broker or database fails."""
        producer = None
        backoff = 0.1
        try:
            while not stop.is_set():
                self.box.committed.clear()
                try:
                    producer = producer or self.new_producer()
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
            metrics.relay_lease_held.set(0)

    def publish_once(self, producer: KafkaProducer) -> int:
        """Publish one batch of pending events; returns how many were published."""
        generation = self.lease.hold()
        if generation is None:
            self._not_holding()
            return 0
        with self.db.read() as conn:
            rows = conn.execute(_PENDING, {"limit": self.settings.relay_batch_size}).all()
            # The final check before sending: the database's word, not this relay's belief.
            left = self.lease.time_left(conn, generation) if rows else None
            self._holding(conn, rows)
        if not rows:
            return 0
        if left is None or left < self.send_margin:
            # Lost, or too close to expiry to send: the next round asks the database again.
            self.lease.forget()
            if left is None:
                self._not_holding()
            return 0
        try:
            self._send(producer, rows, deadline=time.monotonic() + left.total_seconds(),
                       longest_block_s=self.send_margin.total_seconds())
        except KafkaTimeoutError:
            self.lease.release(generation)
            self._not_holding()
            raise LeaseRanOut(f"{len(rows)} events not sent in the {left.total_seconds():.1f}s left on the lease;"
                              " lease given up") from None
        with self.db.write() as tx:
            marked = self.lease.mark_published(tx.conn, [row.id for row in rows], generation, self.clock.now())
        if not marked:
            log.warning("relay lease generation %d was taken over; %d sent events left for the successor",
                        generation, len(rows))
            self.lease.forget()
            self._not_holding()
            return 0
        for row in rows:
            metrics.events_published.labels(row.topic).inc()
        return len(rows)

    def new_producer(self) -> KafkaProducer:
        """The relay's producer. One send may block no longer than the margin (a send starts with
        at least that much of the lease left): kafka-python's default lets a send wait 60 s for a
        topic's metadata, far past the lease."""
        return kafka.producer(self.settings, client_id=f"relay-{self.holder}",
                              max_block_ms=int(self.send_margin.total_seconds() * 1000))

    @staticmethod
    def _send(producer: KafkaProducer, rows: Sequence[Any], deadline: float, longest_block_s: float) -> None:
        """Send the rows in order and wait for the broker's acknowledgements until `deadline`
        (monotonic); KafkaTimeoutError when it passes first. A send may block up to
        `longest_block_s` (the producer's max_block_ms), so none starts with less time left."""
        futures = []
        for row in rows:
            if deadline - time.monotonic() < longest_block_s:
                raise KafkaTimeoutError("the lease ran out while sending")
            futures.append(producer.send(
                row.topic,
                key=row.message_key.encode(),
                value=row.payload,
                headers=[("event_id", row.event_id.encode()), ("event_type", row.event_type.encode())],
            ))
        producer.flush(timeout=max(deadline - time.monotonic(), 0))
        for future in futures:
            future.get(timeout=max(deadline - time.monotonic(), 0))  # raises if the broker refused any

    def _holding(self, conn: sa.Connection, rows: Sequence[Any]) -> None:
        metrics.relay_lease_held.set(1)
        self._held = True
        # Counting is cheap with the partial index, but once a second is plenty for a gauge.
        if len(rows) < self.settings.relay_batch_size:
            metrics.outbox_backlog.set(len(rows))
            self._report_oldest(rows[0].created_at if rows else None)
        elif time.monotonic() - self._last_backlog_count > _BACKLOG_EVERY_S:
            self._count_backlog(conn)

    def _not_holding(self) -> None:
        # Another replica publishes. Report the database's backlog, not this replica's last figure
        # from when it held the lease: at once after losing it, then seldom (every replica does it).
        metrics.relay_lease_held.set(0)
        if self._held or time.monotonic() - self._last_backlog_count > _BACKLOG_ELSEWHERE_EVERY_S:
            self._held = False
            with self.db.read() as conn:
                self._count_backlog(conn)

    def _count_backlog(self, conn: sa.Connection) -> None:
        metrics.outbox_backlog.set(backlog(conn))
        self._report_oldest(oldest_pending(conn))
        self._last_backlog_count = time.monotonic()

    def _report_oldest(self, created_at: datetime | None) -> None:
        age = 0.0 if created_at is None else (self.clock.now() - created_at).total_seconds()
        metrics.outbox_oldest_pending.set(max(age, 0.0))
