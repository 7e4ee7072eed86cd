"""The relay lease is fenced: a relay that outlived its lease neither sends nor marks what its
successor publishes (SQLite, and PostgreSQL where present; the real broker)."""
from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY

from lianyi.intake.v1.events_pb2 import ConcernFacts, ConcernReceived
from localrun import processes
from localrun.broker import start_tansu
from servicekit import envelope, kafka
from servicekit.clock import FixedClock
from servicekit.config import RuntimeSettings
from servicekit.messaging_schema import outbox as outbox_table
from servicekit.messaging_schema import relay_lease
from servicekit.outbox import Outbox
from servicekit.relay import LEASE_TTL, Lease, LeaseRanOut, OutboxRelay
from servicekit.topics import TopicSpec
from tests.kafka_helpers import read_topic, wait_for

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def topic(runtime_settings) -> str:
    name = f"test.fencing.{uuid.uuid4().hex[:10]}"
    kafka.ensure_topics(runtime_settings, [TopicSpec(name, 2)])
    return name


@pytest.fixture
def producer(runtime_settings):
    producer = kafka.producer(runtime_settings, client_id="fencing-test")
    yield producer
    producer.close(timeout=5)


def _queue(db, box: Outbox, count: int) -> list[str]:
    events = [envelope.seal(ConcernReceived(concern=ConcernFacts(concern_id=f"c-{n}", neighbourhood_id="nb-1")),
                            producer="intake", place=envelope.Place("nb-1"), occurred_at=T0)
              for n in range(count)]
    with db.write() as tx:
        box.add_many(tx, events)
    return [e.event_id for e in events]


def _unpublished(db) -> int:
    with db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(outbox_table)
                            .where(outbox_table.c.published_at.is_(None))).scalar_one()


def _sent(runtime_settings, topic: str) -> list[str]:
    """The event ids on the topic, once it has gone quiet."""
    return [envelope.decode(r.value).event_id for r in read_topic(runtime_settings.broker, topic)]


def _lease_row(db):
    with db.read() as conn:
        return conn.execute(sa.select(relay_lease).where(relay_lease.c.name == "outbox")).one()


def test_each_new_holder_gets_the_next_generation_and_a_renewal_keeps_it(database_url, migrated_db):
    db = migrated_db("intake", database_url)
    clock = FixedClock(T0)
    first, second = Lease(db, "relay-a", clock), Lease(db, "relay-b", clock)
    assert first.hold() == 1
    assert second.hold() is None
    clock.advance(seconds=10)  # past half-life: relay-a renews in the database
    assert first.hold() == 1
    assert _lease_row(db).expires_at == clock.now() + LEASE_TTL
    clock.advance(seconds=60)  # relay-a stopped renewing
    assert second.hold() == 2
    assert first.hold() is None
    second.release()
    assert first.hold() == 3  # taking it again after a release is changing hands too


def test_a_relay_whose_lease_expired_and_was_taken_over_publishes_and_marks_nothing(
        database_url, migrated_db, runtime_settings, topic, producer):
    db = migrated_db("intake", database_url)
    box, clock = Outbox(topic), FixedClock(T0)
    first = OutboxRelay(db, box, runtime_settings, clock, "relay-a")
    second = OutboxRelay(db, box, runtime_settings, clock, "relay-b")
    assert first.lease.hold() == 1
    events = _queue(db, box, 3)
    clock.advance(seconds=LEASE_TTL.total_seconds() + 1)
    assert second.lease.hold() == 2

    assert first.publish_once(producer) == 0
    assert _unpublished(db) == 3
    assert second.publish_once(producer) == 3
    assert _unpublished(db) == 0
    assert _sent(runtime_settings, topic) == events


def test_a_paused_relay_that_still_believes_it_holds_the_lease_checks_the_database_first(
        database_url, migrated_db, runtime_settings, topic, producer):
    db = migrated_db("intake", database_url)
    box = Outbox(topic)
    # relay-a paused right after taking the lease: its clock has not moved since, while
    # relay-b's clock, a TTL later, finds the lease expired.
    paused, later = FixedClock(T0), FixedClock(T0 + LEASE_TTL + timedelta(seconds=1))
    first = OutboxRelay(db, box, runtime_settings, paused, "relay-a")
    second = OutboxRelay(db, box, runtime_settings, later, "relay-b")
    assert first.lease.hold() == 1
    events = _queue(db, box, 3)
    assert second.lease.hold() == 2
    assert first.lease.hold() == 1, "relay-a's own belief says it still holds generation 1"

    assert first.publish_once(producer) == 0
    assert _unpublished(db) == 3
    assert second.publish_once(producer) == 3
    assert _sent(runtime_settings, topic) == events  # relay-a's copies would come first


class _TakenOverWhileSending:
    """A real producer, during whose first send another relay takes the lease over."""

    def __init__(self, producer, take_over):
        self.producer, self.take_over = producer, take_over

    def send(self, *args, **kwargs):
        if self.take_over:
            self.take_over()
            self.take_over = None
        return self.producer.send(*args, **kwargs)

    def flush(self, timeout=None):
        return self.producer.flush(timeout)


def test_a_relay_that_read_its_rows_before_a_takeover_cannot_mark_them(
        database_url, migrated_db, runtime_settings, topic, producer):
    db = migrated_db("intake", database_url)
    box = Outbox(topic)
    paused, later = FixedClock(T0), FixedClock(T0 + LEASE_TTL + timedelta(seconds=1))
    first = OutboxRelay(db, box, runtime_settings, paused, "relay-a")
    second = OutboxRelay(db, box, runtime_settings, later, "relay-b")
    events = _queue(db, box, 3)
    slow = _TakenOverWhileSending(producer, second.lease.hold)

    assert first.publish_once(slow) == 0
    assert _lease_row(db).generation == 2
    assert _unpublished(db) == 3, "relay-a marked rows after losing the lease"
    assert second.publish_once(producer) == 3
    assert _unpublished(db) == 0
    # The residual fencing cannot close: relay-a's send had begun, so the events went out twice,
    # each relay's copies in order, and consumers' inboxes drop the repeats.
    assert _sent(runtime_settings, topic) == events + events


def test_a_relay_sends_nothing_while_the_database_gives_it_less_than_the_margin(
        database_url, migrated_db, runtime_settings, topic, producer):
    db = migrated_db("intake", database_url)
    box, clock = Outbox(topic), FixedClock(T0)
    relay = OutboxRelay(db, box, runtime_settings, clock, "relay-a")
    assert relay.lease.hold() == 1
    events = _queue(db, box, 2)
    # Less time left in the database than relay-a believes (as after a pause between its renewal
    # and its send): too little to start a send.
    with db.write() as tx:
        tx.conn.execute(relay_lease.update().where(relay_lease.c.name == "outbox")
                        .values(expires_at=clock.now() + relay.send_margin / 2))

    assert relay.publish_once(producer) == 0
    assert _unpublished(db) == 2
    assert relay.publish_once(producer) == 2  # renewed in the database first
    assert _lease_row(db).expires_at == clock.now() + LEASE_TTL
    assert _lease_row(db).generation == 1
    assert _sent(runtime_settings, topic) == events  # once: the first round sent nothing


@pytest.fixture
def own_broker(tmp_path):
    """A broker of this test's own (it will be frozen), resumed and stopped whatever happens."""
    address = f"127.0.0.1:{processes.free_port()}"
    process = start_tansu(address, tmp_path / "broker.log")
    try:
        yield address, process
    finally:
        os.kill(process.pid, signal.SIGCONT)
        processes.stop(process)


@pytest.mark.parametrize("metadata_known", [True, False], ids=["metadata-known", "metadata-unknown"])
def test_a_send_the_broker_does_not_finish_within_the_lease_is_abandoned_and_the_lease_given_up(
        database_url, migrated_db, own_broker, metadata_known):
    """Whether the broker hangs before acknowledging, or before even telling the producer where
    the topic's partitions are (kafka-python's send would wait 60 s for that by default)."""
    db = migrated_db("intake", database_url)
    address, broker = own_broker
    settings = RuntimeSettings(broker=address)
    topic = f"test.fencing.{uuid.uuid4().hex[:10]}"
    box, clock = Outbox(topic), FixedClock(T0)
    relay = OutboxRelay(db, box, settings, clock, "relay-a", lease_ttl=timedelta(seconds=1))
    producer = relay.new_producer()  # connects now, while the broker answers, before the topic exists
    kafka.ensure_topics(settings, [TopicSpec(topic, 1)])
    try:
        if metadata_known:
            producer.send(topic, key=b"warm-up", value=b"metadata").get(timeout=10)
        _queue(db, box, 2)
        os.kill(broker.pid, signal.SIGSTOP)  # the broker hangs: nothing it is sent is acknowledged

        started = time.monotonic()
        with pytest.raises(LeaseRanOut):
            relay.publish_once(producer)
        assert time.monotonic() - started < 5, "the send was not bounded by the lease's time left"
        assert _unpublished(db) == 2
        assert _lease_row(db).holder is None
        assert Lease(db, "relay-b", clock).hold() == 2, "the lease was not given up"
    finally:
        os.kill(broker.pid, signal.SIGCONT)  # so that closing can flush
        producer.close(timeout=5)


def _gauge(name: str) -> float:
    return REGISTRY.get_sample_value(name)


def test_a_relay_that_lost_the_lease_reports_the_databases_backlog_and_not_holding(
        database_url, migrated_db, runtime_settings, topic, producer):
    db = migrated_db("intake", database_url)
    box, clock = Outbox(topic), FixedClock(T0)
    relay = OutboxRelay(db, box, runtime_settings, clock, "relay-a")
    _queue(db, box, 3)
    assert relay.publish_once(producer) == 3
    assert (_gauge("lianyi_relay_lease_held"), _gauge("lianyi_outbox_backlog")) == (1, 3)

    clock.advance(seconds=LEASE_TTL.total_seconds() + 1)
    assert Lease(db, "relay-b", clock).hold() == 2
    _queue(db, box, 2)  # relay-b holds the lease but has not published these yet
    assert relay.publish_once(producer) == 0
    assert (_gauge("lianyi_relay_lease_held"), _gauge("lianyi_outbox_backlog")) == (0, 2)


@pytest.mark.parametrize("database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_marking_waits_for_a_takeover_in_flight_and_then_refuses(database_url, migrated_db):
    db = migrated_db("intake", database_url)
    box, clock = Outbox("test.fencing"), FixedClock(T0)
    lease = Lease(db, "relay-a", clock)
    generation = lease.hold()
    _queue(db, box, 2)
    marked: list[int] = []

    def mark():
        with db.write() as tx:
            ids = list(tx.conn.execute(sa.select(outbox_table.c.id)).scalars())
            marked.append(lease.mark_published(tx.conn, ids, generation, clock.now()))

    with db.engine.connect() as takeover:
        takeover.execute(relay_lease.update().where(relay_lease.c.name == "outbox")
                         .values(holder="relay-b", generation=relay_lease.c.generation + 1))
        marker = threading.Thread(target=mark)
        marker.start()
        wait_for(lambda: _waiting_on_a_lock(db), timeout_s=10, message="the mark to wait for the takeover")
        takeover.commit()
    marker.join(10)
    assert marked == [0]
    assert _unpublished(db) == 2


def _waiting_on_a_lock(db) -> bool:
    with db.engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )).scalar_one() > 0
