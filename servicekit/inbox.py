"""Inbox: a consumer records each event id it applies, in the same transaction as the effects,
so a redelivered event is recognised and skipped.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from lianyi.events.v1.envelope_pb2 import Envelope
from servicekit.database import Transaction
from servicekit.messaging_schema import inbox


class DuplicateEvent(Exception):
    """This event was applied before; the transaction must be rolled back and the event skipped."""


def record(tx: Transaction, envelope: Envelope, topic: str, applied_at: datetime) -> None:
    """Claim the event for this transaction, or raise DuplicateEvent if it was already applied."""
    seen = tx.conn.execute(
        sa.select(inbox.c.event_id).where(inbox.c.event_id == envelope.event_id)
    ).first()
    if seen:
        raise DuplicateEvent(envelope.event_id)
    try:
        tx.conn.execute(
            inbox.insert().values(
                event_id=envelope.event_id,
                event_type=envelope.event_type,
                topic=topic,
                applied_at=applied_at,
            )
        )
    except IntegrityError:
        # Another consumer (during a rebalance) applied it between our read and write.
        raise DuplicateEvent(envelope.event_id) from None
