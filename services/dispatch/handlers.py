"""Dispatch's handlers."""
from __future__ import annotations

from datetime import timezone

from lianyi.events.v1.envelope_pb2 import Envelope
from lianyi.intake.v1.events_pb2 import ConcernReceived
from servicekit.database import Database, Transaction
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import InvalidArgument, NotFound
from services.dispatch import storage


class Dispatch:
    def __init__(self, db: Database, replica: DirectoryReplica):
        self.db, self.replica = db, replica

    def on_concern_received(self, tx: Transaction, event: ConcernReceived, envelope: Envelope) -> None:
        concern = event.concern
        storage.add_candidate(tx.conn, storage.HandlingCandidate(
            concern_id=concern.concern_id,
            neighbourhood_id=concern.neighbourhood_id,
            household_id=concern.household_id,
            category=concern.category,
            received_at=concern.received_at.ToDatetime(tzinfo=timezone.utc),
        ))

    def get_candidate(self, concern_id: str) -> storage.HandlingCandidate:
        if not concern_id:
            raise InvalidArgument("concern_id is required")
        with self.db.read() as conn:
            candidate = storage.get_candidate(conn, concern_id)
        if candidate is None:
            raise NotFound(f"dispatch has no concern {concern_id}")
        self.replica.require_visible(candidate.neighbourhood_id, "concern in neighbourhood")
        return candidate
