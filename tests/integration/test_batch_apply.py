"""Consumers apply a poll's events as one batch (SQLite, and PostgreSQL where present): each new
event once, in order, with the same effect as applying them one at a time."""
import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from google.protobuf.message import Message

from lianyi.events.v1.progress_pb2 import (
    CONCERN_STATUS_IN_DELIBERATION,
    CONCERN_STATUS_IN_HANDLING,
    ConcernProgressed,
    ConcernStatus,
)
from lianyi.events.v1.progress_v1_pb2 import ConcernProgressedV1
from lianyi.intake.v1.concern_pb2 import Concern
from lianyi.intake.v1.events_pb2 import ROUTE_DELIBERATION, ROUTE_DIRECT, ConcernFacts, ConcernReceived, TriageDecision
from lianyi.intake.v1.events_v1_pb2 import ConcernReceivedV1
from servicekit import envelope, kafka, topics
from servicekit.consumer import EventConsumer, Subscription, apply_batch, apply_once
from servicekit.directory_replica import DirectoryReplica
from servicekit.messaging_schema import outbox as outbox_table
from servicekit.outbox import Outbox
from servicekit.service import Wiring
from servicekit.topics import TopicSpec, dlq
from servicekit.unit_of_work import Outgoing, UnitsOfWork
from services.deliberation import storage as pool
from services.deliberation import wiring as deliberation
from services.dispatch import storage as tasks
from services.dispatch import wiring as dispatch
from services.evaluation import wiring as evaluation
from services.evaluation.handlers import Evaluation
from services.intake import wiring as intake
from tests.event_helpers import written_at
from tests.integration.test_triage_storage import submit
from tests.kafka_helpers import produce, read_topic, wait_for
from tests.running import Running

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
NB, OTHER = "0193b3c2-0000-7000-9000-000000000001", "0193b3c2-0000-7000-9000-000000000002"
ROUTES = {"deliberation": ROUTE_DELIBERATION, "direct": ROUTE_DIRECT}


def concern_id(n: int) -> str:
    return f"0193b3c2-0000-7000-8000-{n:012d}"


def received(neighbourhood: str, n: int, route: str = "deliberation", minutes: int = 0):
    concern = ConcernFacts(concern_id=concern_id(n), neighbourhood_id=neighbourhood, category="noise",
                           description=f"第{n}件事")
    concern.received_at.FromDatetime(T0 + timedelta(minutes=minutes))
    return envelope.seal(ConcernReceived(concern=concern, triage=TriageDecision(route=ROUTES[route])),
                         producer="intake", place=envelope.Place(neighbourhood, "community-1", "township-1", "county-1"),
                         occurred_at=T0)


def items(subscription: Subscription, envelopes: list) -> list:
    return [(subscription.topic, subscription.inbound(e), subscription) for e in envelopes]


def subscription_to(wiring: Wiring, payload_class: type[Message], topic: str = topics.INTAKE) -> Subscription:
    """The service's own subscription to events of this type (as its wiring connects it)."""
    return next(s for s in wiring.subscriptions if s.payload_class is payload_class and s.topic == topic)


def _units(db) -> UnitsOfWork:
    return UnitsOfWork(db, Outbox("test"), "test", Outgoing)


def test_a_batch_applies_each_new_event_once_and_in_order(database_url, migrated_db, clock):
    units = _units(migrated_db("evaluation", database_url))
    calls = []

    def handled(name):
        return lambda uow, run: calls.append((name, [event.event.concern.concern_id for event in run]))

    batched = Subscription(topics.INTAKE, ConcernReceived, lambda payload: payload, handled("batched"))
    other = Subscription(topics.DISPATCH, ConcernReceived, lambda payload: payload, handled("other"))
    a1, a2, a3, a4, b1 = (received(NB, n) for n in range(5))
    assert apply_once(units, batched, batched.inbound(a3), topics.INTAKE, clock)
    calls.clear()

    applied = apply_batch(units, [*items(batched, [a1, a2]), *items(other, [b1]), *items(batched, [a1, a3, a4])],
                          clock)

    assert applied == [True, True, True, False, False, True], "a repeat within the batch and an old one are skipped"
    assert calls == [("batched", [concern_id(0), concern_id(1)]), ("other", [concern_id(4)]),
                     ("batched", [concern_id(3)])], "runs of one subscription, in order"
    assert apply_batch(units, items(batched, [a1, a2, a4]), clock) == [False, False, False]


def test_a_failing_batch_claims_nothing_so_each_event_can_be_applied_alone(database_url, migrated_db, clock):
    units = _units(migrated_db("evaluation", database_url))
    applied = []

    def handle(uow, run):
        if len(run) > 1:
            raise RuntimeError("one of them is bad")
        applied.append(run[0].event_id)

    subscription = Subscription(topics.INTAKE, ConcernReceived, lambda payload: payload, handle)
    events = [received(NB, n) for n in range(3)]
    with pytest.raises(RuntimeError):
        apply_batch(units, items(subscription, events), clock)
    for e in events:
        assert apply_once(units, subscription, subscription.inbound(e), topics.INTAKE, clock)
    assert applied == [e.event_id for e in events]


def test_deliberation_pools_a_batch_in_order_and_reports_each_new_entry_once(database_url, migrated_db, clock):
    db = migrated_db("deliberation", database_url)
    wiring = deliberation.build(db, Outbox(topics.DELIBERATION), clock)
    subscription = subscription_to(wiring, ConcernReceived)
    first = received(NB, 0)
    apply_batch(wiring.units, items(subscription, [first]), clock)
    # The same concern, another event.
    again = envelope.seal(envelope.open_payload(first, ConcernReceived), producer="intake",
                          place=envelope.Place(NB, "community-1", "township-1", "county-1"), occurred_at=T0)
    batch = [received(NB, 1), received(NB, 2, route="direct"), again, received(OTHER, 3), received(NB, 4)]

    apply_batch(wiring.units, items(subscription, batch), clock)

    with db.read() as conn:
        pooled = conn.execute(sa.select(pool.pool_entries.c.concern_id).order_by(pool.pool_entries.c.seq)).scalars()
        reports = [envelope.open_payload(envelope.decode(p), ConcernProgressed) for p in
                   conn.execute(sa.select(outbox_table.c.payload).order_by(outbox_table.c.id)).scalars()]
    assert list(pooled) == [concern_id(n) for n in (0, 1, 3, 4)], "a direct one is not pooled"
    assert [r.concern_id for r in reports] == [concern_id(n) for n in (0, 1, 3, 4)], "one per concern newly pooled"
    assert {r.status for r in reports} == {CONCERN_STATUS_IN_DELIBERATION}


def test_dispatch_keeps_every_concern_of_a_batch_and_opens_a_task_for_the_direct_ones(database_url, migrated_db,
                                                                                       clock):
    db = migrated_db("dispatch", database_url)
    wiring = dispatch.build(db, Outbox(topics.DISPATCH), clock)
    subscription = subscription_to(wiring, ConcernReceived)
    batch = [received(NB, 0), received(NB, 1, route="direct"), received(NB, 2), received(NB, 1, route="direct")]
    apply_batch(wiring.units, items(subscription, batch), clock)
    with db.read() as conn:
        kept = {n: tasks.get_concern(conn, concern_id(n)) for n in range(3)}
        sealed = [envelope.decode(p) for p in conn.execute(sa.select(outbox_table.c.payload)).scalars()]
        reports = [envelope.open_payload(e, ConcernProgressed) for e in sealed
                   if e.event_type == ConcernProgressed.DESCRIPTOR.full_name]
    assert all(kept.values())
    assert [kept[n].opened_at is not None for n in range(3)] == [False, True, False]
    assert [(r.concern_id, r.status) for r in reports] == [(concern_id(1), CONCERN_STATUS_IN_HANDLING)], \
        "in handling: only the direct one, once though it came twice"


def test_evaluation_counts_a_batch_per_neighbourhood_whatever_the_arrival_order(database_url, migrated_db, clock):
    db = migrated_db("evaluation", database_url)
    wiring = evaluation.build(db, Outbox(topics.EVALUATION), clock)
    subscription = subscription_to(wiring, ConcernReceived)
    apply_batch(wiring.units, items(subscription, [received(NB, 0, minutes=30), received(OTHER, 1, minutes=5),
                                                   received(NB, 2, minutes=10), received(NB, 3, minutes=20)]), clock)
    apply_batch(wiring.units, items(subscription, [received(NB, 4, minutes=40)]), clock)
    figures = Evaluation(db, DirectoryReplica(db))
    nb, other = figures.intake_figures(NB), figures.intake_figures(OTHER)
    assert (nb.concerns_received, nb.first_received_at, nb.last_received_at) == (
        4, T0 + timedelta(minutes=10), T0 + timedelta(minutes=40))
    assert (other.concerns_received, other.first_received_at) == (1, T0 + timedelta(minutes=5))


def test_a_batch_of_progress_reports_gives_each_concern_its_latest_status(desk, clock):
    concern, other, follower = submit(desk), submit(desk, category="noise"), submit(desk, description="楼道全是鞋柜")
    desk.merge(concern.concern_id, [follower.concern_id], "")
    wiring = intake.build(desk.db, Outbox(topics.INTAKE), clock)
    subscription = subscription_to(wiring, ConcernProgressed, topics.DISPATCH)

    def report(concern_id, status, minutes):
        return progress(desk, clock, concern_id, status, minutes)

    batch = [report(concern.concern_id, "resolved", 20), report(other.concern_id, "in_handling", 5),
             report(concern.concern_id, "in_handling", 10), report(concern_id(99), "resolved", 1),
             report(follower.concern_id, "in_handling", 3)]
    assert apply_batch(wiring.units, items(subscription, batch), clock) == [True] * 5

    seen = {c.concern_id: desk.intake.get_concern(c.concern_id) for c in (concern, other, follower)}
    assert seen[concern.concern_id].status == "resolved", "the latest step, not the last to arrive"
    assert [s.status for s in seen[concern.concern_id].timeline] == ["received", "in_handling", "resolved"]
    assert seen[other.concern_id].status == "in_handling"
    assert seen[follower.concern_id].status == "resolved", "a merged concern follows its survivor"
    assert apply_batch(wiring.units, items(subscription, batch), clock) == [False] * 5
    assert len(desk.intake.get_concern(concern.concern_id).timeline) == 3


def progress(desk, clock, concern_id: str, status: str, minutes: int, producer: str = "dispatch"):
    """A report as downstream services write it; a status outside the enum as an older producer
    (version 1, the status as text) would have written it."""
    at, place = clock.now() + timedelta(minutes=minutes), envelope.Place(desk.ids["nb-1"])
    name = "CONCERN_STATUS_" + status.upper()
    if name not in ConcernStatus.keys():  # noqa: SIM118 (the enum wrapper is not iterable)
        return written_at(1, ConcernProgressedV1(concern_id=concern_id, status=status),
                          "lianyi.events.v1.ConcernProgressed", place=place, occurred_at=at, producer=producer)
    return envelope.seal(ConcernProgressed(concern_id=concern_id, status=ConcernStatus.Value(name)),
                         producer=producer, place=place, occurred_at=at)


def test_reports_on_two_topics_at_once_leave_the_latest_status(desk, clock):
    """Two intake replicas may apply reports about one concern from two topics at the same time;
    the one that commits last must still see the other's step (a row lock on PostgreSQL)."""
    concern = submit(desk)
    wiring = intake.build(desk.db, Outbox(topics.INTAKE), clock)
    later = progress(desk, clock, concern.concern_id, "in_handling", 20)
    earlier = progress(desk, clock, concern.concern_id, "in_deliberation", 10, producer="deliberation")
    subscription = subscription_to(wiring, ConcernProgressed, topics.DELIBERATION)
    with wiring.units.start() as uow:  # the first replica's unit of work, still open
        subscription.handle(uow, [subscription.inbound(later)])
        other = threading.Thread(target=apply_batch, args=(wiring.units, items(subscription, [earlier]), clock))
        other.start()
        other.join(0.5)
        assert other.is_alive(), "the second waits for the first"
    other.join(10)
    seen = desk.intake.get_concern(concern.concern_id)
    assert seen.status == "in_handling", "the latest step, though its transaction committed first"
    assert [step.status for step in seen.timeline] == ["received", "in_deliberation", "in_handling"]


def test_an_unknown_status_in_a_batch_is_dead_lettered_and_the_others_apply(desk, clock, runtime_settings):
    topic = f"test.{uuid.uuid4().hex[:10]}"
    kafka.ensure_topics(runtime_settings, [TopicSpec(topic, 1), TopicSpec(dlq(topic), 1)])
    first, second = submit(desk), submit(desk, category="noise")
    bad = progress(desk, clock, first.concern_id, "teleported", 5)
    produce(runtime_settings.broker, topic, [(b"nb-1", e.SerializeToString()) for e in (
        progress(desk, clock, first.concern_id, "in_handling", 1), bad,
        progress(desk, clock, second.concern_id, "in_deliberation", 2))])
    wiring = intake.build(desk.db, Outbox(topics.INTAKE), clock)
    reports = subscription_to(wiring, ConcernProgressed, topics.DISPATCH)
    consumer = EventConsumer(group=f"group-{uuid.uuid4().hex[:6]}", units=wiring.units, settings=runtime_settings,
                             clock=clock, subscriptions=[replace(reports, topic=topic)])
    with Running(consumer.run):
        (parked,) = read_topic(runtime_settings.broker, dlq(topic), expected=1)
        wait_for(lambda: desk.intake.get_concern(second.concern_id).status == "in_deliberation",
                 message="the report after the bad one applied")
    assert parked.value == bad.SerializeToString()
    assert "unknown concern status 'teleported'" in dict(parked.headers)["lianyi-error"].decode()
    assert desk.intake.get_concern(first.concern_id).status == "in_handling"


def test_a_concern_received_written_at_version_1_is_pooled_and_reported_as_today(database_url, migrated_db, clock):
    """An event still in an outbox or on the topic from before ConcernReceived moved to version 2
    (it carried the API's read model then) is applied as if it had been written today."""
    db = migrated_db("deliberation", database_url)
    wiring = deliberation.build(db, Outbox(topics.DELIBERATION), clock)
    old = Concern(concern_id=concern_id(7), neighbourhood_id=NB, category="noise", description="第7件事",
                  status="triaged")
    old.received_at.FromDatetime(T0)
    old.triage.route = "deliberation"
    written = written_at(1, ConcernReceivedV1(concern=old), "lianyi.intake.v1.ConcernReceived",
                         place=envelope.Place(NB, "community-1", "township-1", "county-1"), occurred_at=T0)
    today = received(NB, 8)

    assert apply_batch(wiring.units, items(subscription_to(wiring, ConcernReceived), [written, today]), clock) == \
        [True, True]

    with db.read() as conn:
        entries = conn.execute(sa.select(pool.pool_entries).order_by(pool.pool_entries.c.seq)).all()
        reports = [envelope.open_payload(envelope.decode(p), ConcernProgressed) for p in
                   conn.execute(sa.select(outbox_table.c.payload).order_by(outbox_table.c.id)).scalars()]
    assert [(e.concern_id, e.description, e.received_at) for e in entries] == [
        (concern_id(7), "第7件事", T0), (concern_id(8), "第8件事", T0)]
    assert [(r.concern_id, r.status) for r in reports] == [(concern_id(7), CONCERN_STATUS_IN_DELIBERATION),
                                                           (concern_id(8), CONCERN_STATUS_IN_DELIBERATION)]
