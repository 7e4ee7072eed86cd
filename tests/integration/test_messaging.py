"""Relay and consumer against the real broker: in order, exactly once in effect, poison parked."""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from lianyi.intake.v1.events_pb2 import ROUTE_DELIBERATION, ConcernFacts, ConcernReceived, TriageDecision
from servicekit import envelope, kafka
from servicekit.consumer import EventConsumer, Subscription
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import InvalidArgument
from servicekit.messaging_schema import outbox as outbox_table
from servicekit.outbox import Outbox
from servicekit.relay import OutboxRelay
from servicekit.topics import TopicSpec, dlq
from services.deliberation import wiring
from services.deliberation.handlers import Deliberation
from tests.kafka_helpers import produce, read_topic, uncommitted, wait_for
from tests.running import Running


@pytest.fixture
def topic(runtime_settings) -> str:
    name = f"test.{uuid.uuid4().hex[:10]}"
    kafka.ensure_topics(runtime_settings, [TopicSpec(name, 4), TopicSpec(dlq(name), 1)])
    return name


def _event(neighbourhood: str, n: int, description: str = "路灯坏了") -> envelope.Envelope:
    concern = ConcernFacts(concern_id=f"{neighbourhood}-{n}-{uuid.uuid4().hex[:6]}", neighbourhood_id=neighbourhood,
                           category="safety", description=description)
    concern.received_at.FromDatetime(datetime(2026, 11, 2, tzinfo=UTC))
    return envelope.seal(ConcernReceived(concern=concern, triage=TriageDecision(route=ROUTE_DELIBERATION)),
                         producer="intake", place=envelope.Place(neighbourhood), occurred_at=datetime.now(UTC))



def test_relay_publishes_in_order_per_neighbourhood_and_marks_rows(database_url, migrated_db, clock,
                                                                   runtime_settings, topic):
    db = migrated_db("intake", database_url)
    box = Outbox(topic)
    events = [_event(f"nb-{n % 3}", n) for n in range(30)]
    with db.write() as tx:
        for event in events:
            box.add(tx, event)
    with Running(OutboxRelay(db, box, runtime_settings, clock, "relay-test").run):
        records = read_topic(runtime_settings.broker, topic, expected=30)
        wait_for(lambda: _unpublished(db) == 0, message="outbox rows marked published")
    assert len(records) == 30
    for neighbourhood in ("nb-0", "nb-1", "nb-2"):
        sent = [e.event_id for e in events if e.neighbourhood_id == neighbourhood]
        received = [envelope.decode(r.value).event_id for r in records if r.key == neighbourhood.encode()]
        assert received == sent, f"{neighbourhood}'s events arrived out of order"


def _unpublished(db) -> int:
    with db.read() as conn:
        return conn.execute(
            sa.select(sa.func.count()).select_from(outbox_table).where(outbox_table.c.published_at.is_(None))
        ).scalar_one()


class _Deliberation:
    """Deliberation on its database: its units of work, its subscription to ConcernReceived (moved
    to the test's topic, its handling replaceable) and its pool."""

    def __init__(self, db, clock):
        built = wiring.build(db, Outbox("lianyi.deliberation.v1"), clock)
        self.units = built.units
        self.subscription = next(s for s in built.subscriptions if s.payload_class is ConcernReceived)
        self.pool = Deliberation(db, clock, DirectoryReplica(db))

    def subscription_on(self, topic: str, handle=None) -> Subscription:
        return replace(self.subscription, topic=topic, handle=handle or self.subscription.handle)


def _deliberation(db, clock) -> _Deliberation:
    return _Deliberation(db, clock)


def _pool_size(deliberation: _Deliberation, neighbourhood: str = "nb-1") -> int:
    return len(deliberation.pool.list_pool(neighbourhood, 500, "")[0])


def test_consumer_applies_each_event_once_and_commits_its_offsets(database_url, migrated_db, clock,
                                                                  runtime_settings, topic):
    deliberation = _deliberation(migrated_db("deliberation", database_url), clock)
    subscription = deliberation.subscription_on(topic)
    events = [_event("nb-1", n) for n in range(20)]
    produce(runtime_settings.broker, topic, [(b"nb-1", e.SerializeToString()) for e in events])
    group = f"group-{uuid.uuid4().hex[:6]}"

    def consumer():
        return EventConsumer(group=group, units=deliberation.units, subscriptions=[subscription],
                             settings=runtime_settings, clock=clock)

    with Running(consumer().run):
        wait_for(lambda: _pool_size(deliberation) == 20, message="20 concerns pooled")
    assert uncommitted(runtime_settings.broker, group, topic, expected=20) == 0

    # The same events again (a relay that crashed before marking its rows): no effect.
    produce(runtime_settings.broker, topic, [(b"nb-1", e.SerializeToString()) for e in events])
    with Running(consumer().run):
        wait_for(lambda: uncommitted(runtime_settings.broker, group, topic, expected=40) == 0, timeout_s=30,
                 message="redelivered events consumed")
    assert _pool_size(deliberation) == 20


def test_poison_goes_to_the_dlq_with_its_reason_and_the_rest_keeps_flowing(database_url, migrated_db, clock,
                                                                           runtime_settings, topic):
    deliberation = _deliberation(migrated_db("deliberation", database_url), clock)

    def fails_on_boom(uow, events):
        for event in events:
            if event.event.description == "boom":
                raise RuntimeError("cannot handle boom")
            if event.event.description == "forbidden":
                raise InvalidArgument("a rule says no")
            if event.event.description == "bad sql":  # the database refuses it every time: no outage
                uow.conn.execute(sa.text("SELECT no_such_column FROM pool_entries"))
        deliberation.subscription.handle(uow, events)

    def translator_with_a_bug(payload):
        if payload.concern.description == "bug":
            raise TypeError("a translator's bug")
        return deliberation.subscription.translate(payload)

    good = [_event("nb-1", n) for n in range(3)]
    failing = _event("nb-1", 99, description="boom")
    refused = _event("nb-1", 98, description="forbidden")
    unreadable = _event("nb-1", 97, description="bug")
    refused_by_database = _event("nb-1", 96, description="bad sql")
    produce(runtime_settings.broker, topic, [
        (b"nb-1", good[0].SerializeToString()),
        (b"nb-1", b"\x00garbage that is no envelope"),
        (b"nb-1", failing.SerializeToString()),
        (b"nb-1", refused.SerializeToString()),
        (b"nb-1", unreadable.SerializeToString()),
        (b"nb-1", refused_by_database.SerializeToString()),
        (b"nb-1", good[1].SerializeToString()),
        (b"nb-1", good[2].SerializeToString()),
    ])
    group = f"group-{uuid.uuid4().hex[:6]}"
    subscription = replace(deliberation.subscription_on(topic, fails_on_boom), translate=translator_with_a_bug)
    consumer = EventConsumer(group=group, units=deliberation.units, settings=runtime_settings, clock=clock,
                             subscriptions=[subscription])
    with Running(consumer.run):
        wait_for(lambda: _pool_size(deliberation) == 3, message="the good concerns pooled")
        parked = read_topic(runtime_settings.broker, dlq(topic), expected=5)
        wait_for(lambda: uncommitted(runtime_settings.broker, group, topic, expected=8) == 0,
                 message="offsets committed")
    assert len(parked) == 5
    reasons = {dict(r.headers)["lianyi-error"].decode() for r in parked}
    assert any(r.startswith("undecodable") for r in reasons)
    assert any("handler failed 3 times" in r and "cannot handle boom" in r for r in reasons)
    assert "rejected: a rule says no" in reasons  # a broken rule is not retried
    assert "untranslatable: TypeError: a translator's bug" in reasons, "a bug in reading one event parks it"
    assert any("handler failed 3 times" in r and "no_such_column" in r for r in reasons), \
        "a statement the database refuses is a poison, not an outage to wait out"
    assert all(dict(r.headers)["lianyi-consumer"] == group.encode() for r in parked)
    assert {r.value for r in parked} == {
        b"\x00garbage that is no envelope", failing.SerializeToString(), refused.SerializeToString(),
        unreadable.SerializeToString(), refused_by_database.SerializeToString()}


def test_a_database_outage_is_retried_past_the_attempt_limit_and_never_dead_lettered(
        database_url, migrated_db, clock, runtime_settings, topic):
    """Nor does it use up the attempts: after the outage, a failure is the event's first."""
    deliberation = _deliberation(migrated_db("deliberation", database_url), clock)
    outages = iter(range(runtime_settings.consumer_max_attempts + 1))
    failures = iter(range(runtime_settings.consumer_max_attempts - 1))

    def database_down_for_a_while(uow, events):
        if next(outages, None) is not None:
            raise OperationalError("INSERT ...", {}, Exception("could not connect to server"))
        if next(failures, None) is not None:
            raise RuntimeError("a passing fault of the handler's own")
        deliberation.subscription.handle(uow, events)

    produce(runtime_settings.broker, topic, [(b"nb-1", _event("nb-1", 1).SerializeToString())])
    consumer = EventConsumer(group=f"group-{uuid.uuid4().hex[:6]}", units=deliberation.units, settings=runtime_settings,
                             clock=clock,
                             subscriptions=[deliberation.subscription_on(topic, database_down_for_a_while)])
    with Running(consumer.run):
        wait_for(lambda: _pool_size(deliberation) == 1, message="applied once the database is back")
    assert read_topic(runtime_settings.broker, dlq(topic)) == []
