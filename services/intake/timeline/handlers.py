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
        self.on_progressed_many(tx, [(event, envelope)])

    def on_progressed_many(self, tx: Transaction, reports: list[tuple[ConcernProgressed, Envelope]]) -> None:
        """Add each report to its concern's timeline and set the concerns' statuses: a few
        statements for the batch, whatever its size."""
        for event, envelope in reports:
            if event.status not in domain.DOWNSTREAM:
                # Retried, then dead-lettered with this reason: a producer speaks a status we do not know.
                raise InvalidArgument(f"unknown concern status {event.status!r} from {envelope.producer}")
        merged_into = storage.merged_into_for_update(
            tx.conn, sorted({event.concern_id for event, _ in reports if looks_like_id(event.concern_id)}))
        steps = []
        for event, envelope in reports:
            if event.concern_id not in merged_into:
                log.warning("progress for a concern intake does not have", extra={
                    "concern_id": event.concern_id[:64], "event_id": envelope.event_id,
                    "correlation_id": envelope.correlation_id})
                continue
            steps.append((event.concern_id, domain.TimelineEntry(
                event.status, envelope.occurred_at.ToDatetime(tzinfo=timezone.utc),
                event.note[:domain.NOTE_MAX_CHARS], envelope.producer[:20]), envelope.event_id))
        added = timeline.add_reported(tx.conn, steps)
        # A merged concern shows its survivor's status, so only those standing alone change.
        changed = sorted({concern_id for concern_id, _, event_id in steps
                          if event_id in added and not merged_into[concern_id]})
        # Downstream reports outrank intake's own steps, so they alone decide the status.
        statuses = []
        for concern_id, reported in timeline.downstream_entries(tx.conn, changed).items():
            statuses.append((concern_id, domain.current_status(reported), max(step.at for step in reported)))
        storage.set_statuses(tx.conn, statuses)

    def subscriptions(self) -> list[Subscription]:
        return [Subscription(topic, ConcernProgressed, self.on_progressed, self.on_progressed_many)
                for topic in (topics.DELIBERATION, topics.DISPATCH, topics.EVALUATION)]
