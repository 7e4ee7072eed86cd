"""Event consumer: applies events through the inbox, retries with backoff, dead-letters poison.

Offsets are committed only for records whose transaction has committed (or that went to the
DLQ), after each poll and once more before closing.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timezone

from google.protobuf.message import Message
from kafka.structs import OffsetAndMetadata, TopicPartition
from sqlalchemy.exc import InterfaceError, OperationalError

from lianyi.events.v1.envelope_pb2 import Envelope
from servicekit import envelope as envelopes
from servicekit import inbox, kafka, logs, metrics
from servicekit.clock import Clock
from servicekit.config import RuntimeSettings
from servicekit.database import Database, Transaction
from servicekit.errors import DomainError, UndecodableEvent
from servicekit.topics import dlq

log = logging.getLogger(__name__)

Handler = Callable[[Transaction, Message, Envelope], None]
BatchHandler = Callable[[Transaction, list[tuple[Message, Envelope]]], None]
_MAX_BACKOFF_S = 5.0


@dataclass(frozen=True)
class Subscription:
    """Apply events of `payload_class` from `topic` with `handle(tx, payload, envelope)`."""

    topic: str
    payload_class: type[Message]
    handle: Handler
    # Optional: applies a run of consecutive events of this type in one go (a few statements for
    # the lot under load instead of a few per event). Its effect must equal `handle` on each, in
    # order: a failing batch is retried one event at a time through `handle`.
    handle_many: BatchHandler | None = None

    @property
    def event_type(self) -> str:
        return self.payload_class.DESCRIPTOR.full_name


def apply_batch(db: Database, items: list[tuple[str, Envelope, Subscription, Message]], clock: Clock) -> list[bool]:
    """Apply several events in one transaction (far fewer commits and statements); for each,
    True if applied and False if it was applied before. Any failure rolls back all of them."""
    with db.write() as tx:
        fresh = inbox.claim_many(tx, [(envelope, topic) for topic, envelope, _, _ in items], clock.now())
        applied = []
        for _, envelope, _, _ in items:
            applied.append(envelope.event_id in fresh)
            fresh.discard(envelope.event_id)  # a repeat within the batch is a duplicate
        for subscription, run in _runs(items, applied):
            if subscription.handle_many is not None and len(run) > 1:
                subscription.handle_many(tx, run)
                continue
            for payload, envelope in run:
                token = logs.correlation_id.set(envelope.correlation_id)
                try:
                    subscription.handle(tx, payload, envelope)
                finally:
                    logs.correlation_id.reset(token)
    return applied


def _runs(items, applied: list[bool]):
    """The applicable events in order, grouped into runs of consecutive ones of one subscription
    (events already applied are skipped: they change nothing, so order is kept)."""
    run: list[tuple[Message, Envelope]] = []
    current = None
    for (_, envelope, subscription, payload), fresh in zip(items, applied):
        if not fresh:
            continue
        if subscription is not current and run:
            yield current, run
            run = []
        current = subscription
        run.append((payload, envelope))
    if run:
        yield current, run


def apply_once(db: Database, subscription: Subscription, envelope: Envelope, payload: Message,
               topic: str, clock: Clock) -> bool:
    """Apply one event in one transaction with its inbox claim; False if it was applied before."""
    try:
        with db.write() as tx:
            inbox.record(tx, envelope, topic, clock.now())
            subscription.handle(tx, payload, envelope)
    except inbox.DuplicateEvent:
        return False
    return True


class _Stopping(Exception):
    """Raised inside the loop when asked to stop while waiting to retry."""


class EventConsumer:
    def __init__(self, *, group: str, db: Database, subscriptions: list[Subscription],
                 settings: RuntimeSettings, clock: Clock):
        self.group, self.db, self.settings, self.clock = group, db, settings, clock
        self._by_type = {s.event_type: s for s in subscriptions}
        self.topics = sorted({s.topic for s in subscriptions})

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set."""
        consumer = kafka.consumer(self.settings, self.group, self.topics)
        dlq_producer = kafka.producer(self.settings, client_id=f"{self.group}-dlq")
        done: dict[TopicPartition, OffsetAndMetadata] = {}
        try:
            while not stop.is_set():
                batch = consumer.poll(timeout_ms=250)
                for partition, records in batch.items():
                    self._process_batch(records, dlq_producer, stop)
                    done[partition] = OffsetAndMetadata(records[-1].offset + 1, "", -1)
                self._commit(consumer, done)
        except _Stopping:
            log.info("consumer stopping mid-batch; unprocessed records will be redelivered")
        finally:
            self._commit(consumer, done)
            consumer.close(autocommit=False)
            dlq_producer.close(timeout=5)

    def _commit(self, consumer, done: dict) -> None:
        if not done:
            return
        try:
            consumer.commit(offsets=dict(done))
            done.clear()
        except Exception:
            # A rebalance took the partitions away; the new owner's inbox drops what we applied.
            metrics.consumer_errors.labels(",".join(self.topics), "commit").inc()
            log.warning("offset commit failed; records may be redelivered", exc_info=True)
            done.clear()

    def _process_batch(self, records: list, dlq_producer, stop: threading.Event) -> None:
        """One partition's records: all in one transaction when they all apply cleanly; otherwise
        one at a time, with retries and the DLQ for the ones that keep failing."""
        ready = []
        for record in records:
            decoded = self._decode(record, dlq_producer, stop)
            if decoded is not None:
                ready.append((record, *decoded))
        if not ready:
            return
        try:
            outcomes = apply_batch(self.db, [(r.topic, e, s, p) for r, e, s, p in ready], self.clock)
        except Exception:
            log.info("a batch of %d failed; applying its events one by one", len(ready), exc_info=True)
            for record, envelope, subscription, payload in ready:
                token = logs.correlation_id.set(envelope.correlation_id)
                try:
                    self._apply(record, envelope, subscription, payload, dlq_producer, stop)
                finally:
                    logs.correlation_id.reset(token)
            return
        for (record, envelope, _, _), applied in zip(ready, outcomes):
            self._count(record.topic, envelope, applied)

    def _decode(self, record, dlq_producer, stop) -> tuple[Envelope, Subscription, Message] | None:
        """The envelope, its subscription and payload; None if ignored or dead-lettered."""
        topic = record.topic
        try:
            envelope = envelopes.decode(record.value)
            subscription = self._by_type.get(envelope.event_type)
            if subscription is None:
                metrics.events_consumed.labels(topic, envelope.event_type, "ignored").inc()
                return None
            return envelope, subscription, envelopes.open_payload(envelope, subscription.payload_class)
        except UndecodableEvent as exc:
            metrics.consumer_errors.labels(topic, "undecodable").inc()
            self._dead_letter(record, f"undecodable: {exc}", dlq_producer, stop)
            return None

    def _count(self, topic: str, envelope: Envelope, applied: bool) -> None:
        if not applied:
            metrics.events_consumed.labels(topic, envelope.event_type, "duplicate").inc()
            return
        metrics.events_consumed.labels(topic, envelope.event_type, "applied").inc()
        lag = self.clock.now() - envelope.occurred_at.ToDatetime(tzinfo=timezone.utc)
        metrics.event_lag.labels(topic).observe(max(lag.total_seconds(), 0))

    def _apply(self, record, envelope, subscription, payload, dlq_producer, stop) -> None:
        topic, attempt, backoff = record.topic, 0, 0.05
        while True:
            attempt += 1
            try:
                applied = apply_once(self.db, subscription, envelope, payload, topic, self.clock)
            except (OperationalError, InterfaceError) as exc:
                # The database is unavailable or busy: not the event's fault, so never dead-letter
                # it; keep retrying until it works or we are stopped (then it is redelivered).
                metrics.consumer_errors.labels(topic, "database").inc()
                log.warning("database error applying %s (attempt %d): %s", envelope.event_id, attempt,
                            type(exc).__name__)
            except DomainError as exc:
                # The event breaks a domain rule: retrying cannot help.
                metrics.consumer_errors.labels(topic, "rejected").inc()
                self._dead_letter(record, f"rejected: {exc.detail}", dlq_producer, stop, envelope.event_id)
                return
            except Exception as exc:
                metrics.consumer_errors.labels(topic, "handler").inc()
                log.warning("handler failed on %s (attempt %d/%d)", envelope.event_id, attempt,
                            self.settings.consumer_max_attempts, exc_info=True)
                if attempt >= self.settings.consumer_max_attempts:
                    self._dead_letter(record, f"handler failed {attempt} times: {type(exc).__name__}: {exc}",
                                      dlq_producer, stop, envelope.event_id)
                    return
            else:
                self._count(topic, envelope, applied)
                return
            if stop.wait(backoff):
                raise _Stopping()
            backoff = min(backoff * 2, _MAX_BACKOFF_S)

    def _dead_letter(self, record, error: str, dlq_producer, stop, event_id: str = "") -> None:
        """Park the record on the topic's DLQ with why; durable before its offset is committed."""
        headers = [
            ("lianyi-error", error[:2000].encode()),
            ("lianyi-consumer", self.group.encode()),
            ("lianyi-source-topic", record.topic.encode()),
            ("lianyi-source-partition", str(record.partition).encode()),
            ("lianyi-source-offset", str(record.offset).encode()),
            ("lianyi-event-id", event_id.encode()),
        ]
        backoff = 0.1
        while True:
            try:
                dlq_producer.send(dlq(record.topic), key=record.key, value=record.value, headers=headers).get(timeout=30)
                break
            except Exception:
                metrics.consumer_errors.labels(record.topic, "dlq").inc()
                log.exception("could not write to %s; retrying", dlq(record.topic))
                if stop.wait(backoff):
                    raise _Stopping() from None
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
        metrics.events_consumed.labels(record.topic, "", "dead_lettered").inc()
        log.error("dead-lettered %s[%d]@%d: %s", record.topic, record.partition, record.offset, error)
