"""Event consumer: applies events through the inbox, retries with backoff, dead-letters poison.

Offsets are committed only for records whose transaction has committed (or that went to the
DLQ), after each poll and once more before closing. A database outage is retried until it
passes; anything else that fails an event counts towards its DLQ (servicekit.database.is_outage).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any, Generic, TypeVar

from google.protobuf.message import Message
from kafka.structs import OffsetAndMetadata, TopicPartition

from lianyi.events.v1.envelope_pb2 import Envelope
from servicekit import envelope as envelopes
from servicekit import inbox, kafka, logs, metrics
from servicekit.clock import Clock
from servicekit.config import RuntimeSettings
from servicekit.database import is_outage
from servicekit.envelope import Upcaster
from servicekit.errors import DomainError, UndecodableEvent
from servicekit.events import Inbound
from servicekit.topics import dlq
from servicekit.unit_of_work import UnitOfWork, UnitsOfWork

log = logging.getLogger(__name__)

E = TypeVar("E")
_MAX_BACKOFF_S = 5.0


@dataclass(frozen=True)
class Subscription(Generic[E]):
    """Apply events of `payload_class` from `topic`: `translate` turns a payload into this
    service's own words (raising UndecodableEvent for values it cannot take: they go to the DLQ),
    and `handle(uow, events)` applies a run of one or more of them, in order, in one unit of work.
    One code path for one event and for many: under load a run is a poll's worth (a few
    statements for the lot); if a run fails, its events are applied again one at a time."""

    topic: str
    payload_class: type[Message]
    translate: Callable[[Message], E]
    handle: Callable[[UnitOfWork, list[Inbound[E]]], None]
    # Readers of payloads written at older versions (servicekit.envelope.open_payload).
    upcasters: tuple[Upcaster, ...] = ()

    @property
    def event_type(self) -> str:
        return self.payload_class.DESCRIPTOR.full_name

    def inbound(self, envelope: Envelope) -> Inbound[E]:
        """The envelope's event in this service's words; raises UndecodableEvent if it is not one."""
        payload = envelopes.open_payload(envelope, self.payload_class, self.upcasters)
        return Inbound(event=self.translate(payload), event_id=envelope.event_id,
                       occurred_at=envelope.occurred_at.ToDatetime(tzinfo=UTC),
                       producer=envelope.producer, place=envelopes.place_of(envelope),
                       correlation_id=envelope.correlation_id)


# (topic, event) of one record ready to apply.
Ready = tuple[str, Inbound[Any], Subscription[Any]]


def apply_batch(units: UnitsOfWork, items: list[Ready], clock: Clock) -> list[bool]:
    """Apply several events in one unit of work (far fewer commits and statements); for each,
    True if applied and False if it was applied before. Any failure rolls back all of them."""
    with units.start() as uow:
        fresh = inbox.claim_many(uow.tx, [(event.event_id, subscription.event_type, topic)
                                          for topic, event, subscription in items], clock.now())
        applied = []
        for _, event, _ in items:
            applied.append(event.event_id in fresh)
            fresh.discard(event.event_id)  # a repeat within the batch is a duplicate
        for subscription, run in _runs(items, applied):
            _handle(subscription, uow, run)
    return applied


def _handle(subscription: Subscription[Any], uow: UnitOfWork, run: list[Inbound[Any]]) -> None:
    # A run of one logs under its own correlation id; a batch's log lines name their event.
    token = logs.correlation_id.set(run[0].correlation_id) if len(run) == 1 else None
    try:
        subscription.handle(uow, run)
    finally:
        if token is not None:
            logs.correlation_id.reset(token)


def _runs(items: list[Ready], applied: list[bool]) -> Iterator[tuple[Subscription[Any], list[Inbound[Any]]]]:
    """The applicable events in order, grouped into runs of consecutive ones of one subscription
    (events already applied are skipped: they change nothing, so order is kept)."""
    run: list[Inbound[Any]] = []
    current: Subscription[Any] | None = None
    for (_, event, subscription), fresh in zip(items, applied, strict=True):
        if not fresh:
            continue
        if subscription is not current and run and current is not None:
            yield current, run
            run = []
        current = subscription
        run.append(event)
    if run and current is not None:
        yield current, run


def apply_once(units: UnitsOfWork, subscription: Subscription[Any], event: Inbound[Any], topic: str,
               clock: Clock) -> bool:
    """Apply one event in one unit of work with its inbox claim; False if it was applied before."""
    return apply_batch(units, [(topic, event, subscription)], clock)[0]


class _Stopping(Exception):
    """Raised inside the loop when asked to stop while waiting to retry."""


class EventConsumer:
    def __init__(self, *, group: str, units: UnitsOfWork, subscriptions: list[Subscription[Any]],
                 settings: RuntimeSettings, clock: Clock):
        self.group, self.units, self.settings, self.clock = group, units, settings, clock
        self._subscribed = {(s.topic, s.event_type): s for s in subscriptions}
        self.topics = sorted({s.topic for s in subscriptions})
        for topic in self.topics:  # at 0 from the start: an alert sees the first dead letter as an increase
            metrics.events_consumed.labels(topic, "", "dead_lettered")

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

    def _commit(self, consumer: Any, done: dict[TopicPartition, OffsetAndMetadata]) -> None:
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

    def _process_batch(self, records: list[Any], dlq_producer: Any, stop: threading.Event) -> None:
        """One partition's records: all in one unit of work when they all apply cleanly;
        otherwise one at a time, with retries and the DLQ for the ones that keep failing."""
        ready: list[tuple[Any, Inbound[Any], Subscription[Any]]] = []
        for record in records:
            decoded = self._decode(record, dlq_producer, stop)
            if decoded is not None:
                ready.append((record, *decoded))
        if not ready:
            return
        try:
            outcomes = apply_batch(self.units, [(r.topic, event, s) for r, event, s in ready], self.clock)
        except Exception:
            log.info("a batch of %d failed; applying its events one by one", len(ready), exc_info=True)
            for record, event, subscription in ready:
                self._apply(record, event, subscription, dlq_producer, stop)
            return
        for (record, event, subscription), applied in zip(ready, outcomes, strict=True):
            self._count(record.topic, subscription.event_type, event, applied)

    def _decode(self, record: Any, dlq_producer: Any, stop: threading.Event
                ) -> tuple[Inbound[Any], Subscription[Any]] | None:
        """The event in its subscription's words; None if ignored or dead-lettered."""
        topic = record.topic
        try:
            envelope = envelopes.decode(record.value)
            subscription = self._subscribed.get((topic, envelope.event_type))
            if subscription is None:
                metrics.events_consumed.labels(topic, envelope.event_type, "ignored").inc()
                return None
            return subscription.inbound(envelope), subscription
        except UndecodableEvent as exc:
            metrics.consumer_errors.labels(topic, "undecodable").inc()
            self._dead_letter(record, f"undecodable: {exc}", dlq_producer, stop)
            return None
        except Exception as exc:
            # A translator or upcaster that fails on this event would fail on it again on every
            # redelivery: a poison message for this partition, whatever the bug. It waits in the
            # DLQ for the fix while the partition's other events flow.
            metrics.consumer_errors.labels(topic, "untranslatable").inc()
            log.exception("could not read an event from %s[%d]@%d", topic, record.partition, record.offset)
            self._dead_letter(record, f"untranslatable: {type(exc).__name__}: {exc}", dlq_producer, stop)
            return None

    def _count(self, topic: str, event_type: str, event: Inbound[Any], applied: bool) -> None:
        if not applied:
            metrics.events_consumed.labels(topic, event_type, "duplicate").inc()
            return
        metrics.events_consumed.labels(topic, event_type, "applied").inc()
        lag = self.clock.now() - event.occurred_at
        metrics.event_lag.labels(topic).observe(max(lag.total_seconds(), 0))

    def _apply(self, record: Any, event: Inbound[Any], subscription: Subscription[Any], dlq_producer: Any,
               stop: threading.Event) -> None:
        topic, failures, backoff = record.topic, 0, 0.05
        while True:
            try:
                applied = apply_once(self.units, subscription, event, topic, self.clock)
            except DomainError as exc:
                # The event breaks a domain rule: retrying cannot help.
                metrics.consumer_errors.labels(topic, "rejected").inc()
                self._dead_letter(record, f"rejected: {exc.detail}", dlq_producer, stop, event.event_id)
                return
            except Exception as exc:
                if is_outage(exc):
                    # The database is unavailable or busy: not the event's fault, so it neither
                    # counts nor is ever dead-lettered; retried until it works or we are stopped
                    # (then it is redelivered).
                    metrics.consumer_errors.labels(topic, "database").inc()
                    log.warning("database unavailable applying %s: %s", event.event_id, type(exc).__name__)
                else:
                    # A bug, a statement the database refuses, or what the handler read changed
                    # meanwhile (ChangedMeanwhile: the next attempt reads afresh).
                    failures += 1
                    if self._failed(record, event, exc, failures, dlq_producer, stop):
                        return
            else:
                self._count(topic, subscription.event_type, event, applied)
                return
            if stop.wait(backoff):
                raise _Stopping()
            backoff = min(backoff * 2, _MAX_BACKOFF_S)

    def _failed(self, record: Any, event: Inbound[Any], exc: Exception, failures: int, dlq_producer: Any,
                stop: threading.Event) -> bool:
        """Count a failed attempt; after the last one the event goes to the DLQ (True: done with it)."""
        metrics.consumer_errors.labels(record.topic, "handler").inc()
        log.warning("handler failed on %s (attempt %d/%d)", event.event_id, failures,
                    self.settings.consumer_max_attempts, exc_info=True)
        if failures < self.settings.consumer_max_attempts:
            return False
        self._dead_letter(record, f"handler failed {failures} times: {type(exc).__name__}: {exc}",
                          dlq_producer, stop, event.event_id)
        return True

    def _dead_letter(self, record: Any, error: str, dlq_producer: Any, stop: threading.Event,
                     event_id: str = "") -> None:
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
                dlq_producer.send(dlq(record.topic), key=record.key, value=record.value,
                                  headers=headers).get(timeout=30)
                break
            except Exception:
                metrics.consumer_errors.labels(record.topic, "dlq").inc()
                log.exception("could not write to %s; retrying", dlq(record.topic))
                if stop.wait(backoff):
                    raise _Stopping() from None
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
        metrics.events_consumed.labels(record.topic, "", "dead_lettered").inc()
        log.error("dead-lettered %s[%d]@%d: %s", record.topic, record.partition, record.offset, error)
