"""Inbox: a consumer records each event id it applies, in the same transaction as the effects,
so a redelivered event is recognised and skipped.
"""
from __future__ import annotations

from datetime import datetime

from lianyi.events.v1.envelope_pb2 import Envelope
from servicekit.database import Transaction, insert_or_ignore, insert_or_ignore_many
from servicekit.messaging_schema import inbox


class DuplicateEvent(Exception):
    """This event was applied before; the transaction must be rolled back and the event skipped."""


def record(tx: Transaction, envelope: Envelope, topic: str, applied_at: datetime) -> None:
    """Claim the event for this transaction, or raise DuplicateEvent if it was already applied
    (the primary key tells a repeat from a first delivery, even across a rebalance)."""
    claimed = insert_or_ignore(
        tx.conn, inbox,
        event_id=envelope.event_id, event_type=envelope.event_type, topic=topic, applied_at=applied_at,
    )
    if not claimed:
        raise DuplicateEvent(envelope.event_id)


def claim_many(tx: Transaction, events: list[tuple[Envelope, str]], applied_at: datetime) -> set[str]:
    """Claim several (envelope, topic) events at once; returns the ids that are new. An id
    repeated within `events` is new only once, so its first occurrence alone is applied."""
    return insert_or_ignore_many(tx.conn, inbox, [
        dict(event_id=envelope.event_id, event_type=envelope.event_type, topic=topic, applied_at=applied_at)
        for envelope, topic in events
    ])
