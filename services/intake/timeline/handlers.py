"""Keeping each concern's timeline from what deliberation, dispatch and evaluation report."""
from __future__ import annotations

import logging
from datetime import timezone

from lianyi.events.v1.envelope_pb2 import Envelope
from lianyi.events.v1.progress_pb2 import ConcernProgressed
from servicekit import topics
from servicekit.consumer import Subscription
from servicekit.database import Database, Transaction
from servicekit.errors import InvalidArgument
from servicekit.ids import looks_like_id
from services.intake import storage
from services.intake.timeline import domain
from services.intake.timeline import storage as timeline

log = logging.getLogger(__name__)


class Timelines:
    def __init__(self, db: Database):
        self.db = db

    def on_progressed(self, tx: Transaction, event: ConcernProgressed, envelope: Envelope) -> None:
        if event.status not in domain.DOWNSTREAM:
            # Retried, then dead-lettered with this reason: a producer speaks a status we do not know.
            raise InvalidArgument(f"unknown concern status {event.status!r} from {envelope.producer}")
        merged_into = storage.merged_into_of(tx.conn, event.concern_id) if looks_like_id(event.concern_id) else None
        if merged_into is None:
            log.warning("progress for a concern intake does not have", extra={"concern_id": event.concern_id[:64]})
            return
        entry = domain.TimelineEntry(event.status, envelope.occurred_at.ToDatetime(tzinfo=timezone.utc),
                                     event.note[:domain.NOTE_MAX_CHARS], envelope.producer[:20])
        if not timeline.add(tx.conn, event.concern_id, entry, event_id=envelope.event_id):
            return
        if not merged_into:  # a merged concern shows its survivor's status
            # Downstream reports outrank intake's own steps, so they alone decide the status.
            steps = timeline.downstream_entries(tx.conn, event.concern_id)
            latest = max(step.at for step in steps)
            storage.set_status(tx.conn, event.concern_id, domain.current_status(steps), latest)

    def subscriptions(self) -> list[Subscription]:
        return [Subscription(topic, ConcernProgressed, self.on_progressed)
                for topic in (topics.DELIBERATION, topics.DISPATCH, topics.EVALUATION)]
