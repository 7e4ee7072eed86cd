"""Per-key order under concurrent writers: each key's events reach the broker in the order their
transactions committed, even when outbox ids were handed out in another order.

Each writer queues its event first and only then bumps a per-key counter (a row lock), so the
counter's value `n`, carried in the event, is the commit order of that key's transactions.
"""
from __future__ import annotations

import random
import threading
import time
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from lianyi.intake.v1.events_pb2 import ConcernFacts, ConcernReceived
from servicekit import envelope, kafka
from servicekit.messaging_schema import outbox as outbox_table
from servicekit.outbox import KEY_BUCKETS, Outbox
from servicekit.relay import OutboxRelay
from servicekit.topics import TopicSpec
from tests.kafka_helpers import read_topic, wait_for
from tests.running import Running

ON_POSTGRES = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)

counters = sa.Table(
    "test_counters", sa.MetaData(),
    sa.Column("key", sa.String(50), primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
)


@pytest.fixture
def topic(runtime_settings) -> str:
    name = f"test.order.{uuid.uuid4().hex[:10]}"
    kafka.ensure_topics(runtime_settings, [TopicSpec(name, 4)])
    return name


def _with_counters(db, keys) -> None:
    counters.create(db.engine)
    with db.write() as tx:
        tx.conn.execute(counters.insert(), [{"key": key, "n": 0} for key in keys])


def _event(key: str, n: int) -> envelope.Envelope:
    return envelope.seal(ConcernReceived(concern=ConcernFacts(concern_id=f"{key}-{n}", neighbourhood_id=key)),
                         producer="intake", place=envelope.Place(key), occurred_at=datetime.now(UTC))


def _write(db, box: Outbox, key: str, on_begin=lambda tx: None, after_queueing=lambda: None) -> int:
    """One writer's transaction: queue the event, then take the key's counter; returns its n."""
    with db.write() as tx:
        on_begin(tx)
        event = _event(key, 0)
        box.add(tx, event)
        after_queueing()
        n = tx.conn.execute(
            counters.update().where(counters.c.key == key).values(n=counters.c.n + 1).returning(counters.c.n)
        ).scalar_one()
        event.payload.Pack(ConcernReceived(concern=ConcernFacts(concern_id=f"{key}-{n}", neighbourhood_id=key)))
        tx.conn.execute(outbox_table.update().where(outbox_table.c.event_id == event.event_id)
                        .values(payload=event.SerializeToString()))
    return n


def _published_n(runtime_settings, db, box, clock, topic: str, expected: int) -> dict[str, list[int]]:
    """Run the real relay until every row is published; each key's n values in broker order."""
    with Running(OutboxRelay(db, box, runtime_settings, clock, "relay-order").run):
        records = read_topic(runtime_settings.broker, topic, expected=expected)
    return _by_key(records)


def _by_key(records) -> dict[str, list[int]]:
    published: dict[str, list[int]] = {}
    for record in records:
        concern = envelope.open_payload(envelope.decode(record.value), ConcernReceived).concern
        published.setdefault(record.key.decode(), []).append(int(concern.concern_id.rsplit("-", 1)[1]))
    return published


def _backend_pid(tx) -> int:
    return tx.conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()


def _blocked(db, pid: int) -> bool:
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                            {"pid": pid}).scalar() == "Lock"


@ON_POSTGRES
def test_a_writer_that_queued_first_but_commits_second_is_published_second(
        database_url, migrated_db, clock, runtime_settings, topic):
    db = migrated_db("intake", database_url)
    _with_counters(db, ["nb-1"])
    box = Outbox(topic)
    first_queued, second_done = threading.Event(), threading.Event()
    second_pid: list[int] = []
    results: dict[str, int] = {}

    def hold_back_first():
        # Without per-key order the second writer overtakes here: it commits n=1 with the higher
        # outbox id. With it, the second writer waits for the first to commit.
        first_queued.set()
        wait_for(lambda: second_done.is_set() or (second_pid and _blocked(db, second_pid[0])), timeout_s=10,
                 message="the second writer to commit or to wait for the first")

    def first():
        results["first"] = _write(db, box, "nb-1", after_queueing=hold_back_first)

    def second():
        first_queued.wait(10)
        results["second"] = _write(db, box, "nb-1", on_begin=lambda tx: second_pid.append(_backend_pid(tx)))
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert set(results) == {"first", "second"}, "a writer failed"

    published = _published_n(runtime_settings, db, box, clock, topic, expected=2)
    assert published == {"nb-1": [1, 2]}, "nb-1's events were published out of commit order"


def test_many_writers_on_a_few_keys_publish_each_key_in_commit_order(database_url, migrated_db, clock,
                                                                     runtime_settings, topic):
    db = migrated_db("intake", database_url)
    keys = ["nb-1", "nb-2", "nb-3"]
    _with_counters(db, keys)
    box = Outbox(topic)
    writers, transactions = 6, 15
    failures: list[BaseException] = []

    def writer(seed: int):
        pick = random.Random(seed)
        try:
            for _ in range(transactions):
                # A short pause between queueing and the counter gives others the chance to overtake.
                _write(db, box, pick.choice(keys), after_queueing=lambda: time.sleep(pick.random() / 500))
        except BaseException as error:  # reported below: a thread's exception is otherwise lost
            failures.append(error)

    # The relay publishes while the writers write: it sees every interleaving of commits.
    with Running(OutboxRelay(db, box, runtime_settings, clock, "relay-order").run):
        threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not failures, failures
        records = read_topic(runtime_settings.broker, topic, expected=writers * transactions)
    published = _by_key(records)
    assert sum(len(ns) for ns in published.values()) == writers * transactions
    for key, ns in published.items():
        assert ns == sorted(ns), f"{key}'s events were published out of commit order: {ns}"


@ON_POSTGRES
def test_a_transaction_of_thousands_of_keys_holds_at_most_one_lock_per_bucket(database_url, migrated_db):
    db = migrated_db("intake", database_url)
    box = Outbox("lianyi.directory.v1")
    with db.write() as tx:
        for chunk in range(2):
            box.add_many(tx, [_event(f"entity-{chunk}-{n}", n) for n in range(1000)])
        held = tx.conn.execute(sa.text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")).scalar_one()
    assert KEY_BUCKETS / 2 < held <= KEY_BUCKETS < 2000


@ON_POSTGRES
def test_one_key_on_two_topics_does_not_wait(database_url, migrated_db):
    db = migrated_db("intake", database_url)
    other_committed = threading.Event()

    def other_topic_writer():
        with db.write() as tx:
            Outbox("lianyi.directory.v1").add(tx, _event("nb-1", 2))
        other_committed.set()

    with db.write() as tx:
        Outbox("lianyi.intake.v1").add(tx, _event("nb-1", 1))
        writer = threading.Thread(target=other_topic_writer)
        writer.start()
        # Order matters only within a topic (a partition), so the other topic's writer goes ahead.
        assert other_committed.wait(10), "a writer of another topic waited for this transaction"
    writer.join(10)


@ON_POSTGRES
def test_units_of_work_writing_the_same_keys_in_opposite_orders_queue_rather_than_deadlock(database_url,
                                                                                           migrated_db):
    """A directory import records an event per entity; two at once, over the same entities in
    opposite orders, would deadlock if each event took its lock as it was recorded. A unit of
    work adds its events in one call at the end, which takes the locks in one sorted step."""
    from servicekit.events import Origin, Place
    from servicekit.unit_of_work import Outgoing, UnitsOfWork

    db = migrated_db("intake", database_url)
    units = UnitsOfWork(db, Outbox("lianyi.intake.v1"), "intake",
                        lambda key: Outgoing(ConcernReceived(concern=ConcernFacts(concern_id=key)),
                                             topic="lianyi.directory.v1", key=key))
    keys = [f"entity-{n}" for n in range(300)]
    start, failures = threading.Barrier(2), []

    def importer(order):
        try:
            start.wait()
            with units.start() as uow:
                for key in order:
                    uow.record(key, Origin(Place()), datetime.now(UTC))
                time.sleep(0.05)  # both hold their state changes before sealing
        except Exception as exc:
            failures.append(exc)

    threads = [threading.Thread(target=importer, args=(order,)) for order in (keys, keys[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    with db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(outbox_table)).scalar_one() == 600
