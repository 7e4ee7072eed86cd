"""A unit of work commits state and the events it recorded together, translated and sealed in the
order they were recorded; a failure leaves neither."""
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from lianyi.intake.v1.events_pb2 import ConcernsMerged, TalkSessionReported
from servicekit import envelope, logs
from servicekit.events import Aggregate, Origin, Place
from servicekit.messaging_schema import outbox as outbox_table
from servicekit.outbox import Outbox
from servicekit.unit_of_work import Outgoing, UnitsOfWork

AT = datetime(2026, 11, 1, 8, tzinfo=UTC)
ORIGIN = Origin(Place("nb-1", "cm-1", "tw-1", "c-1"), correlation_id="corr-1", causation_id="cause-1")


class Merged:
    def __init__(self, survivor: str):
        self.survivor = survivor


class Reported:
    pass


def merged(event: object) -> Outgoing | None:
    return Outgoing(ConcernsMerged(survivor_id=event.survivor)) if isinstance(event, Merged) else None


def reported(event: object) -> Outgoing | None:
    return Outgoing(TalkSessionReported(session_id="s1"), topic="elsewhere", key="k-1") \
        if isinstance(event, Reported) else None


def _rows(db):
    with db.read() as conn:
        return conn.execute(sa.select(outbox_table).order_by(outbox_table.c.id)).all()


def test_recorded_events_are_sealed_in_order_with_their_origin_by_the_translator_that_knows_them(memory_db):
    units = UnitsOfWork(memory_db, Outbox("own"), "intake", merged, reported)
    with units.start() as uow:
        uow.record(Merged("a"), ORIGIN, AT)
        uow.record(Reported(), ORIGIN, AT)
        uow.record(Merged("b"), Origin(Place("nb-2")), AT)
    rows = _rows(memory_db)
    assert [(r.topic, r.message_key) for r in rows] == [("own", "nb-1"), ("elsewhere", "k-1"), ("own", "nb-2")], \
        "in the order recorded, each where its translator sends it"
    first = envelope.decode(rows[0].payload)
    assert (first.producer, first.correlation_id, first.causation_id, first.community_id) == (
        "intake", "corr-1", "cause-1", "cm-1")
    assert envelope.open_payload(first, ConcernsMerged).survivor_id == "a"


def test_an_event_without_a_correlation_takes_the_requests(memory_db):
    units = UnitsOfWork(memory_db, Outbox("own"), "intake", merged)
    token = logs.correlation_id.set("request-7")
    try:
        with units.start() as uow:
            uow.record(Merged("a"), Origin(Place("nb-1")), AT)
    finally:
        logs.correlation_id.reset(token)
    assert envelope.decode(_rows(memory_db)[0].payload).correlation_id == "request-7"


def test_an_aggregates_events_are_collected_once(memory_db):
    class Pool(Aggregate):
        pass

    pool = Pool()
    pool.record(Merged("a"), ORIGIN, AT)
    with UnitsOfWork(memory_db, Outbox("own"), "intake", merged).start() as uow:
        uow.collect(pool)
        uow.collect(pool)
    assert len(_rows(memory_db)) == 1 and pool.events == []


def test_a_failure_leaves_no_state_and_no_event(memory_db):
    with memory_db.write() as tx:
        tx.conn.execute(sa.text("CREATE TABLE state (n INTEGER)"))
    units = UnitsOfWork(memory_db, Outbox("own"), "intake", merged)
    with pytest.raises(RuntimeError), units.start() as uow:
        uow.conn.execute(sa.text("INSERT INTO state VALUES (1)"))
        uow.record(Merged("a"), ORIGIN, AT)
        raise RuntimeError("the handler failed")
    with memory_db.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM state")).scalar_one() == 0
    assert _rows(memory_db) == []


def test_an_event_no_translator_knows_is_refused_and_nothing_commits(memory_db):
    units = UnitsOfWork(memory_db, Outbox("own"), "evaluation", merged)
    with pytest.raises(TypeError, match="evaluation does not publish Reported"), units.start() as uow:
        uow.record(Merged("a"), ORIGIN, AT)
        uow.record(Reported(), ORIGIN, AT)
    assert _rows(memory_db) == []
