"""Transactional outbox: an event is written in the same transaction as the state it describes."""
from __future__ import annotations

import threading
import zlib
from datetime import UTC, datetime

import sqlalchemy as sa

from lianyi.events.v1.envelope_pb2 import Envelope
from servicekit.database import Transaction
from servicekit.messaging_schema import outbox

# Built once and given parameters per row: cheaper than a new statement per event.
_INSERT = outbox.insert()

# Per-key order on PostgreSQL. Outbox ids come from a sequence at INSERT, but transactions commit
# in their own order, and the relay publishes by id: two writers of one key could commit in the
# opposite order of their ids and the key's events would go out of commit order. So a writer
# takes a transaction-scoped advisory lock on each key before inserting; a second writer of the
# key waits there until the first has committed, which makes id order commit order per key.
# Keys are hashed into a fixed number of buckets per topic (the two-int lock: topic, bucket), so
# a transaction of thousands of events (a directory import) holds at most that many locks in
# PostgreSQL's small shared lock table; the price is that keys sharing a bucket now and then wait
# for each other's commit. One statement takes a call's locks in sorted order, so writers of the
# same keys queue rather than deadlock; a unit of work adds all its events in one call, last.
# SQLite needs none of this: a write transaction holds the database's one write lock from
# BEGIN IMMEDIATE to its commit, so ids are handed out in commit order already.
KEY_BUCKETS = 1024
_LOCK_KEYS = sa.text(
    "SELECT pg_advisory_xact_lock(namespace, bucket)"
    " FROM unnest(CAST(:namespaces AS integer[]), CAST(:buckets AS integer[])) AS lock(namespace, bucket)"
    " ORDER BY namespace, bucket"
)


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
        """Queue several events in order, all to one topic (and, if given, under one key)."""
        self.add_routed(tx, [(envelope, topic, key) for envelope in envelopes])

    def add_routed(self, tx: Transaction, events: list[tuple[Envelope, str | None, str | None]]) -> None:
        """Queue events in order, each to its topic under its key (None: the service's topic, and
        the event's neighbourhood), in one statement (two on PostgreSQL, see KEY_BUCKETS).

        Add a transaction's events in one call, as late in it as you can: on PostgreSQL each key
        is locked until commit, and locks taken by separate calls follow the calls' order, so two
        transactions that reach the same buckets in opposite orders would deadlock (PostgreSQL
        aborts one of them).
        """
        rows = []
        for envelope, topic, key in events:
            message_key = key or envelope.neighbourhood_id
            if not message_key:
                raise ValueError("an event needs a message key: its neighbourhood id or an explicit key")
            rows.append({  # (the lock below reads topic and message_key back as text)
                "event_id": envelope.event_id,
                "event_type": envelope.event_type,
                "topic": topic or self.topic,
                "message_key": message_key,
                "payload": envelope.SerializeToString(),
                "created_at": envelope.occurred_at.ToDatetime(tzinfo=UTC),
            })
        if not rows:
            return
        if tx.conn.dialect.name == "postgresql":
            locks = sorted({(_namespace(str(row["topic"])), key_bucket(str(row["message_key"]))) for row in rows})
            tx.conn.execute(_LOCK_KEYS, {"namespaces": [n for n, _ in locks], "buckets": [b for _, b in locks]})
        tx.conn.execute(_INSERT, rows)
        # Wake the relay right after commit instead of waiting for its next poll.
        tx.after_commit(self.committed.set)


def _namespace(topic: str) -> int:
    """The advisory-lock namespace of a topic: order matters only within one."""
    return _int32(zlib.crc32(f"lianyi.outbox:{topic}".encode()))


def key_bucket(message_key: str) -> int:
    """The lock bucket of a message key: the same in every process (unlike `hash`)."""
    return zlib.crc32(message_key.encode()) % KEY_BUCKETS


def _int32(value: int) -> int:
    return value - (1 << 32) if value >= 1 << 31 else value


def oldest_pending(conn: sa.Connection) -> datetime | None:
    """When the oldest event still waiting to be published was written; None when none waits. One
    row by the partial index on unpublished ids (ids follow commit order)."""
    created_at: datetime | None = conn.execute(
        sa.select(outbox.c.created_at).where(outbox.c.published_at.is_(None)).order_by(outbox.c.id).limit(1)
    ).scalar_one_or_none()
    return created_at


def backlog(conn: sa.Connection) -> int:
    """How many events are waiting to be published."""
    return conn.execute(
        sa.select(sa.func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
    ).scalar_one()
