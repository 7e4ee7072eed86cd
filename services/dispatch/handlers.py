"""Dispatch's handlers."""
from __future__ import annotations

from datetime import timezone

from lianyi.events.v1.envelope_pb2 import Envelope
from lianyi.events.v1.progress_pb2 import ConcernProgressed
from lianyi.intake.v1.events_pb2 import ConcernReceived, ConcernsMerged, ConcernTriaged
from servicekit import envelope as envelopes
from servicekit.clock import Clock
from servicekit.database import Database, Transaction
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import InvalidArgument, NotFound
from servicekit.outbox import Outbox
from services.dispatch import storage

DIRECT_ROUTE = "direct"


class Dispatch:
    def __init__(self, db: Database, replica: DirectoryReplica, clock: Clock, outbox: Outbox):
        self.db, self.replica, self.clock, self.outbox = db, replica, clock, outbox

    def on_concern_received(self, tx: Transaction, event: ConcernReceived, envelope: Envelope) -> None:
        self.on_concerns_received(tx, [(event, envelope)])

    def on_concerns_received(self, tx: Transaction, events: list[tuple[ConcernReceived, Envelope]]) -> None:
        """Every received concern becomes a candidate; those a rule routed direct open at once."""
        storage.add_candidates(tx.conn, [_candidate(event.concern) for event, _ in events])
        for event, envelope in events:
            self._open_if_direct(tx, event.concern, envelope)

    def on_concern_triaged(self, tx: Transaction, event: ConcernTriaged, envelope: Envelope) -> None:
        self._open_if_direct(tx, event.concern, envelope)

    def on_concerns_merged(self, tx: Transaction, event: ConcernsMerged, envelope: Envelope) -> None:
        storage.mark_merged(tx.conn, event.survivor_id, list(event.merged_ids))

    def _open_if_direct(self, tx: Transaction, concern, envelope: Envelope) -> None:
        """One household's matter goes straight to handling: it opens here, and intake's timeline
        hears that it is in handling."""
        if concern.triage.route != DIRECT_ROUTE:
            return
        opened_at = self.clock.now()
        if storage.open_direct(tx.conn, concern.concern_id, opened_at):
            self.outbox.add(tx, envelopes.follow_up(
                ConcernProgressed(concern_id=concern.concern_id, status="in_handling",
                                  note="opened for handling by the neighbourhood"),
                envelope, producer="dispatch", occurred_at=opened_at))

    def get_candidate(self, concern_id: str) -> storage.HandlingCandidate:
        if not concern_id:
            raise InvalidArgument("concern_id is required")
        with self.db.read() as conn:
            candidate = storage.get_candidate(conn, concern_id)
        if candidate is None:
            raise NotFound(f"dispatch has no concern {concern_id}")
        self.replica.require_visible(candidate.neighbourhood_id, "concern in neighbourhood")
        return candidate


def _candidate(concern) -> storage.HandlingCandidate:
    return storage.HandlingCandidate(
        concern_id=concern.concern_id,
        neighbourhood_id=concern.neighbourhood_id,
        household_id=concern.household_id,
        category=concern.category,
        received_at=concern.received_at.ToDatetime(tzinfo=timezone.utc),
    )
