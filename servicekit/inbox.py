"""Inbox: a consumer records each event id it applies, in the same transaction as the effects,
so a redelivered event is recognised and skipped (the primary key tells a repeat from a first
delivery, even across a rebalance)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from servicekit.database import Transaction, insert_or_ignore_many
from servicekit.messaging_schema import inbox


def claim_many(tx: Transaction, events: list[tuple[str, str, str]], applied_at: datetime) -> set[str]:
    """Claim several (event id, event type, topic) events at once; returns the ids that are new.
    An id repeated within `events` is new only once, so its first occurrence alone is applied."""
    return insert_or_ignore_many(tx.conn, inbox, [
        dict(event_id=event_id, event_type=event_type, topic=topic, applied_at=applied_at)
        for event_id, event_type, topic in events
    ])


def was_applied(conn: Connection, event_id: str) -> bool:
    """Whether the event was applied here (and its inbox row is not pruned yet)."""
    return conn.execute(sa.select(inbox.c.event_id).where(inbox.c.event_id == event_id)).first() is not None
