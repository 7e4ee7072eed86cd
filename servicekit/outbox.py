"""Transactional outbox: an event is written in the same transaction as the state it describes."""
from __future__ import annotations

import threading
from datetime import timezone

import sqlalchemy as sa

from lianyi.events.v1.envelope_pb2 import Envelope
from servicekit.database import Transaction
from servicekit.messaging_schema import outbox


# Built once and given parameters per row: cheaper than a new statement per event.
_INSERT = outbox.insert()


class Outbox:
    """Adds events to the outbox and nudges the relay once they are committed."""

    def __init__(self, topic: str):
        self.topic = topic  # the service's own topic, where its events go unless told otherwise
        self.committed = threading.Event()

    def add(self, tx: Transaction, envelope: Envelope, *, topic: str | None = None, key: str | None = None) -> None:
        """Queue the event; keyed by its neighbourhood unless a key is given (the directory
        topic is keyed by entity id, so compaction keeps each entity's latest state)."""
        self.add_many(tx, [envelope], topic=topic, key=key)

    def add_many(self, tx: Transaction, envelopes: list[Envelope], *, topic: str | None = None,
                 key: str | None = None) -> None:
        """Queue several events in order, in one statement."""
        rows = []
        for envelope in envelopes:
            message_key = key or envelope.neighbourhood_id
            if not message_key:
                raise ValueError("an event needs a message key: its neighbourhood id or an explicit key")
            rows.append({
                "event_id": envelope.event_id,
                "event_type": envelope.event_type,
                "topic": topic or self.topic,
                "message_key": message_key,
                "payload": envelope.SerializeToString(),
                "created_at": envelope.occurred_at.ToDatetime(tzinfo=timezone.utc),
            })
        if not rows:
            return
        tx.conn.execute(_INSERT, rows)
        # Wake the relay right after commit instead of waiting for its next poll.
        tx.after_commit(self.committed.set)


def backlog(conn: sa.Connection) -> int:
    """How many events are waiting to be published."""
    return conn.execute(
        sa.select(sa.func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
    ).scalar_one()
