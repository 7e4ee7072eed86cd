"""Outbox and inbox: the event commits or vanishes with its state; a repeat is recognised."""
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from lianyi.intake.v1.events_pb2 import ConcernFacts, ConcernReceived
from servicekit import envelope, inbox
from servicekit.messaging_schema import inbox as inbox_table
from servicekit.messaging_schema import outbox as outbox_table
from servicekit.outbox import Outbox, backlog

AT = datetime(2026, 11, 1, tzinfo=UTC)


def _event(neighbourhood="nb-7"):
    payload = ConcernReceived(concern=ConcernFacts(concern_id="c1", neighbourhood_id=neighbourhood))
    return envelope.seal(payload, producer="intake", place=envelope.Place(neighbourhood), occurred_at=AT)


def test_outbox_row_carries_the_envelope_keyed_by_neighbourhood(memory_db):
    box, event = Outbox("lianyi.intake.v1"), _event("nb-7")
    with memory_db.write() as tx:
        box.add(tx, event)
    with memory_db.read() as conn:
        row = conn.execute(sa.select(outbox_table)).one()
        assert backlog(conn) == 1
    assert (row.topic, row.message_key, row.event_id) == ("lianyi.intake.v1", "nb-7", event.event_id)
    assert envelope.decode(row.payload) == event
    assert row.published_at is None


def test_an_event_can_go_to_another_topic_under_its_own_key(memory_db):
    box = Outbox("lianyi.intake.v1")
    with memory_db.write() as tx:
        box.add(tx, _event("nb-7"), topic="lianyi.directory.v1", key="entity-42")
    with memory_db.read() as conn:
        row = conn.execute(sa.select(outbox_table)).one()
    assert (row.topic, row.message_key) == ("lianyi.directory.v1", "entity-42")


def test_an_event_with_no_key_at_all_is_refused(memory_db):
    event = envelope.seal(ConcernReceived(), producer="intake", place=envelope.Place(), occurred_at=AT)
    with pytest.raises(ValueError, match="message key"), memory_db.write() as tx:
        Outbox("t").add(tx, event)


def test_outbox_wakes_the_relay_only_after_commit(memory_db):
    box = Outbox("lianyi.intake.v1")
    with memory_db.write() as tx:
        box.add(tx, _event())
        assert not box.committed.is_set()
    assert box.committed.is_set()


def test_a_failing_after_commit_callback_neither_fails_the_committed_write_nor_stops_the_others(memory_db):
    box, ran = Outbox("lianyi.intake.v1"), []

    def broken():
        raise RuntimeError("a cache that could not be dropped")

    with memory_db.write() as tx:
        tx.after_commit(broken)
        box.add(tx, _event())
        tx.after_commit(lambda: ran.append("next"))
    assert box.committed.is_set() and ran == ["next"]
    with memory_db.read() as conn:
        assert backlog(conn) == 1


def test_a_rolled_back_transaction_leaves_no_event_and_no_wake_up(memory_db):
    box = Outbox("lianyi.intake.v1")
    with pytest.raises(RuntimeError), memory_db.write() as tx:
        box.add(tx, _event())
        raise RuntimeError("the state change failed")
    with memory_db.read() as conn:
        assert backlog(conn) == 0
    assert not box.committed.is_set()


def _claim(tx, event) -> bool:
    return event.event_id in inbox.claim_many(tx, [(event.event_id, event.event_type, "lianyi.intake.v1")], AT)


def test_inbox_refuses_an_event_applied_before(memory_db):
    event = _event()
    with memory_db.write() as tx:
        assert _claim(tx, event)
    with memory_db.write() as tx:
        assert not _claim(tx, event), "the primary key tells a repeat from a first delivery"


def test_an_event_repeated_within_one_claim_is_new_only_once(memory_db):
    event = _event()
    with memory_db.write() as tx:
        fresh = inbox.claim_many(tx, [(event.event_id, event.event_type, "t")] * 2, AT)
    assert fresh == {event.event_id}
    with memory_db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(inbox_table)).scalar_one() == 1


def test_inbox_claim_rolls_back_with_the_effects(memory_db):
    event = _event()
    with pytest.raises(RuntimeError), memory_db.write() as tx:
        assert _claim(tx, event)
        raise RuntimeError("the handler failed")
    with memory_db.write() as tx:  # not a duplicate: the failed attempt left nothing behind
        assert _claim(tx, event)
    with memory_db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(inbox_table)).scalar_one() == 1
